/**
 * Signals drawn from an ML-CSC model (SCIENCE.md, ML-CSC: X = D_1Γ_1, Γ_{i−1} = D_iΓ_i): a sparse deepest
 * code Γ_K with a chosen number of non-zeros at random positions and values ±U[0.5, 1], pushed down through
 * the dictionaries, plus optional Gaussian noise. Seeded, so the same seed gives the same signal.
 */
import { gaussian, mulberry32 } from '../../../src-shared/math/random';
import { GraphBuilder } from '../graph/builder';
import { modelShapes, synthesis } from '../ops/dictionary';
import { Runtime, hostTensor, type HostTensor } from '../runtime/session';
import type { LayerSpec } from '../pursuit/types';

export interface SyntheticSignal {
  readonly signal: HostTensor;
  readonly clean: HostTensor;
  /** Γ_1 … Γ_K, the ground truth. */
  readonly codes: HostTensor[];
}

export async function sampleMultiLayerSignal(
  runtime: Runtime,
  layers: readonly LayerSpec[],
  o: { height: number; width: number; channels?: number; nonzeros: number; seed: number; noise?: number },
): Promise<SyntheticSignal> {
  const shapes = modelShapes([1, o.channels ?? 1, o.height, o.width], layers.map((l) => ({ weightShape: l.weights.shape, stride: l.stride, pad: l.pad })));
  const K = layers.length;
  const deepest = shapes[K]!;
  const size = deepest.reduce((a, b) => a * b, 1);
  const uniform = mulberry32(o.seed);
  const gammaK = new Float32Array(size);
  const count = Math.min(o.nonzeros, size);
  for (let placed = 0; placed < count; ) {
    const at = Math.floor(uniform() * size);
    if (gammaK[at] !== 0) continue;
    gammaK[at] = (uniform() < 0.5 ? -1 : 1) * (0.5 + 0.5 * uniform());
    placed++;
  }
  const g = new GraphBuilder(`ml_sample_${K}`);
  let x = g.input('gamma', 'float32', deepest);
  for (let i = K - 1; i >= 0; i--) {
    const w = g.input(`w${i + 1}`, 'float32', layers[i]!.weights.shape);
    x = synthesis(g, x, w, { weightShape: layers[i]!.weights.shape, stride: layers[i]!.stride, pad: layers[i]!.pad }, shapes[i]!);
    g.output(`gamma${i}`, x);
  }
  const feeds: Record<string, HostTensor> = { gamma: hostTensor(deepest, gammaK) };
  layers.forEach((l, i) => (feeds[`w${i + 1}`] = l.weights));
  const r = await runtime.run(g.toIR(), feeds);
  const clean = r.outputs.gamma0!;
  const codes = [...layers.slice(0, K - 1).map((_, i) => r.outputs[`gamma${i + 1}`]!), hostTensor(deepest, gammaK)];
  let signal = clean;
  if (o.noise && o.noise > 0) {
    const n = gaussian(mulberry32(o.seed ^ 0x5bd1e995));
    const data = Float32Array.from(clean.data as Float32Array, (v) => v + o.noise! * n());
    signal = hostTensor(clean.shape, data);
  }
  return { signal, clean, codes };
}
