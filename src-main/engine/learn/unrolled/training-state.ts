/**
 * The byte format of an unrolled network's training state (checkpoints' training_state.npy). Kept apart from
 * train.ts, which loads ONNX Runtime, so the host can read a checkpoint (to export the network) without it.
 */
import type { Parameters, UnrolledModel } from './model';
import type { TrainConfig, TrainingState } from './train';

const MAGIC = 'SLUNROL1';

interface StateHeader {
  readonly model: UnrolledModel;
  readonly config: TrainConfig;
  readonly datasetSize: number;
  readonly step: number;
  readonly epoch: number;
  readonly batchInEpoch: number;
  readonly rngState: number;
  /** Float32 blocks in file order: parameters, then moments as `<name>#<k>`. */
  readonly blocks: { readonly key: string; readonly length: number }[];
}

/**
 * The state as bytes: 8-byte magic, u32 (LE) JSON header length, the JSON header (model, config, counters),
 * zero padding to 4 bytes, then the float32 blocks (little-endian) and the epoch order as u32.
 */
export function serializeTrainingState(s: TrainingState): Uint8Array {
  const blocks: { key: string; data: Float32Array }[] = [];
  for (const [k, v] of Object.entries(s.params)) blocks.push({ key: k, data: v });
  for (const [k, list] of Object.entries(s.moments)) list.forEach((a, i) => blocks.push({ key: `${k}#${i}`, data: a }));
  const header: StateHeader = {
    model: s.model,
    config: s.config,
    datasetSize: s.datasetSize,
    step: s.step,
    epoch: s.epoch,
    batchInEpoch: s.batchInEpoch,
    rngState: s.rngState,
    blocks: blocks.map((b) => ({ key: b.key, length: b.data.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerEnd = 12 + json.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const floats = blocks.reduce((n, b) => n + b.data.length, 0);
  const bytes = new Uint8Array(dataStart + 4 * floats + 4 * s.order.length);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, json.length, true);
  bytes.set(json, 12);
  let off = dataStart;
  for (const b of blocks) for (const v of b.data) (view.setFloat32(off, v, true), (off += 4));
  for (const v of s.order) (view.setUint32(off, v, true), (off += 4));
  return bytes;
}

export function deserializeTrainingState(bytes: Uint8Array): TrainingState {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error(`not a training state: the file does not start with ${MAGIC}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength))) as StateHeader;
  let off = Math.ceil((12 + jsonLength) / 4) * 4;
  const floats = header.blocks.reduce((n, b) => n + b.length, 0);
  if (bytes.length !== off + 4 * floats + 4 * header.datasetSize) throw new Error(`training state is truncated or corrupt: ${bytes.length} bytes, expected ${off + 4 * floats + 4 * header.datasetSize}`);
  const params: Parameters = {};
  const moments: Record<string, Float32Array[]> = {};
  for (const b of header.blocks) {
    const a = new Float32Array(b.length);
    for (let i = 0; i < b.length; i++) (a[i] = view.getFloat32(off, true)), (off += 4);
    const hash = b.key.lastIndexOf('#');
    if (hash < 0) params[b.key] = a;
    else (moments[b.key.slice(0, hash)] ??= [])[Number(b.key.slice(hash + 1))] = a;
  }
  const order = new Uint32Array(header.datasetSize);
  for (let i = 0; i < order.length; i++) (order[i] = view.getUint32(off, true)), (off += 4);
  return { model: header.model, config: header.config, datasetSize: header.datasetSize, params, moments, step: header.step, epoch: header.epoch, batchInEpoch: header.batchInEpoch, order, rngState: header.rngState };
}
