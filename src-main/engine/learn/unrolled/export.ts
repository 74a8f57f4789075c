/**
 * Export of a trained unrolled network as a standalone ONNX model: the pursuit and the classifier with every
 * parameter inside as an initializer, one input `images` [N, C, H, W] float32 with the batch size N chosen by
 * the caller (the engine's graphs have static shapes), and two outputs, `logits` [N, classes] and `gamma_K`
 * (the deepest code). The model description travels in metadata_props, so the file says what it computes.
 * SDNet's λ, a graph input during training, is baked in as an initializer (the value the caller passes).
 */
import { GraphBuilder, type Tensor } from '../../graph/builder';
import { emitOnnx } from '../../graph/emit';
import type { GraphIR } from '../../graph/ir';
import { writeFileAtomic } from '../../io/fileio';
import { APP_VERSION } from '../../version';
import { buildPursuit, GAMMA_K, IMAGES, LAMBDA, LOGITS } from './graph';
import { parameterCount, parameterSpecs, type Parameters, type UnrolledModel } from './model';

export interface ExportOptions {
  /** Static batch size N of the `images` input. */
  readonly batchSize: number;
  /** SDNet: the λ baked into the model (default: the model's options.lambda). */
  readonly lambda?: number;
  /** How images must be prepared, recorded in the metadata (e.g. "x/255, then (x − 0.1307)/0.3081"). */
  readonly preprocessing?: string;
  /** Extra metadata_props entries. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Metadata keys written into metadata_props. */
export const METADATA_KEYS = {
  kind: 'sparseland.kind',
  model: 'sparseland.model',
  batchSize: 'sparseland.batch_size',
  lambda: 'sparseland.lambda',
  preprocessing: 'sparseland.preprocessing',
  parameters: 'sparseland.parameters',
} as const;

export function buildExportGraph(model: UnrolledModel, params: Parameters, o: ExportOptions): GraphIR {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`export: batchSize must be a positive integer, got ${o.batchSize}`);
  const g = new GraphBuilder(model.name.replace(/[^\w-]+/g, '_') || 'unrolled');
  const images = g.input(IMAGES, 'float32', [o.batchSize, model.input.channels, model.input.height, model.input.width]);
  const tensors: Record<string, Tensor> = {};
  for (const s of parameterSpecs(model)) {
    const data = params[s.name];
    const size = s.shape.reduce((a, b) => a * b, 1);
    if (!data || data.length !== size) throw new Error(`export: parameter ${s.name} must hold ${size} values (shape [${s.shape.join(', ')}]), got ${data?.length ?? 'none'}`);
    // A copy, so later training steps cannot change an exported graph that is still being held.
    tensors[s.name] = g.initializer(s.name, 'float32', s.shape, Float32Array.from(data));
  }
  const lambda = model.options.variant === 'sdnet' ? g.initializer(LAMBDA, 'float32', [], Float32Array.of(o.lambda ?? model.options.lambda)) : undefined;
  const { logits, codes } = buildPursuit(g, model, tensors, images, lambda);
  g.output(LOGITS, logits);
  g.output(GAMMA_K, codes[codes.length - 1]!);
  return g.toIR();
}

/** ONNX bytes of the exported model (opset 18), with the model description in metadata_props. */
export function exportOnnx(model: UnrolledModel, params: Parameters, o: ExportOptions): Uint8Array {
  const metadata: Record<string, string> = {
    [METADATA_KEYS.kind]: 'unrolled-ml-csc-classifier',
    [METADATA_KEYS.model]: JSON.stringify(model),
    [METADATA_KEYS.batchSize]: String(o.batchSize),
    [METADATA_KEYS.parameters]: String(parameterCount(model, false)),
    ...(model.options.variant === 'sdnet' ? { [METADATA_KEYS.lambda]: String(o.lambda ?? model.options.lambda) } : {}),
    ...(o.preprocessing ? { [METADATA_KEYS.preprocessing]: o.preprocessing } : {}),
    ...(o.metadata ?? {}),
  };
  return emitOnnx(buildExportGraph(model, params, o), { producerVersion: APP_VERSION, docString: `${model.name}: ${model.unrolling} T=${model.T}, variant ${model.options.variant}`, metadata });
}

export async function writeOnnxFile(path: string, model: UnrolledModel, params: Parameters, o: ExportOptions): Promise<void> {
  await writeFileAtomic(path, exportOnnx(model, params, o));
}
