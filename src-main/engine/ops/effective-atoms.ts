/**
 * Effective atoms of an ML-CSC model (SCIENCE.md, ML-CSC): the columns of D^{(i)} = D_1⋯D_i, i.e. what one
 * unit coefficient of Γ_i looks like in signal space — the "molecules" built from atoms of the layers below.
 * A 1×1 identity code [m_i, m_i, 1, 1] is pushed down with ConvTranspose at natural size (no padding),
 * which gives each atom's full footprint.
 */
import { GraphBuilder } from '../graph/builder';
import { Runtime, hostTensor, type HostTensor } from '../runtime/session';

export interface LayerWeights {
  readonly weights: HostTensor;
  readonly stride: number;
}

/** Returns [m_i, h, w]: channel 0 of every effective atom of layer `depth` (1-based). */
export async function effectiveAtoms(runtime: Runtime, layers: readonly LayerWeights[], depth: number): Promise<HostTensor> {
  if (depth < 1 || depth > layers.length) throw new Error(`effective atoms: layer ${depth} does not exist (model has ${layers.length})`);
  const m = layers[depth - 1]!.weights.shape[0]!;
  if (depth === 1) {
    const [, c, kh, kw] = layers[0]!.weights.shape as [number, number, number, number];
    const data = layers[0]!.weights.data as Float32Array;
    const out = new Float32Array(m * kh * kw);
    for (let j = 0; j < m; j++) out.set(data.subarray(j * c * kh * kw, j * c * kh * kw + kh * kw), j * kh * kw);
    return hostTensor([m, kh, kw], out);
  }
  const g = new GraphBuilder(`effective_atoms_${depth}`);
  let x = g.constant(identity(m), [m, m, 1, 1]);
  for (let i = depth - 1; i >= 0; i--) {
    const l = layers[i]!;
    const w = g.input(`w${i + 1}`, 'float32', l.weights.shape);
    const [, , kh, kw] = l.weights.shape as [number, number, number, number];
    const outShape = [l.stride * (x.shape[2]! - 1) + kh, l.stride * (x.shape[3]! - 1) + kw];
    x = g.convTranspose(x, w, { strides: l.stride, outputShape: outShape });
  }
  const [, , h, w] = x.shape as [number, number, number, number];
  g.output('atoms', g.reshape(g.slice(x, [0], [1], [1]), [m, h, w]));
  const feeds: Record<string, HostTensor> = {};
  layers.slice(0, depth).forEach((l, i) => (feeds[`w${i + 1}`] = l.weights));
  const r = await runtime.run(g.toIR(), feeds);
  return r.outputs.atoms!;
}

function identity(m: number): Float32Array {
  const d = new Float32Array(m * m);
  for (let i = 0; i < m; i++) d[i * m + i] = 1;
  return d;
}
