/**
 * Images drawn from a convolutional sparse model (SCIENCE.md, CSC: X = Σ_j d_j * Γ_j = DΓ): sparse codes with a
 * fixed number of non-zeros per image at seeded random positions, values ±U[0.5, 1] (or +U[0.5, 1] for
 * non-negative codes), synthesised by the engine's ConvTranspose, plus optional Gaussian noise. Seeded, so the
 * same seed gives the same images.
 */
import { gaussian, mulberry32 } from '../../../../src-shared/math/random';
import { GraphBuilder } from '../../graph/builder';
import { codeShape, synthesis, type LayerGeometry } from '../../ops/dictionary';
import { hostTensor, type HostTensor, type Runtime } from '../../runtime/session';

export interface CscSample {
  /** [N, C, H, W], with noise. */
  readonly images: HostTensor;
  readonly clean: HostTensor;
  /** [N, m, H', W'], the ground-truth codes. */
  readonly codes: HostTensor;
}

export async function sampleCscImages(
  runtime: Runtime,
  filters: HostTensor,
  o: { count: number; height: number; width: number; nonzeros: number; seed: number; pad: number; noise?: number; nonNegative?: boolean },
): Promise<CscSample> {
  const [, c] = filters.shape as [number, number];
  const signalShape = [o.count, c, o.height, o.width];
  const layer: LayerGeometry = { weightShape: filters.shape, stride: 1, pad: o.pad };
  const shape = codeShape(signalShape, layer);
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const uniform = mulberry32(o.seed);
  const codes = new Float32Array(o.count * per);
  const count = Math.min(o.nonzeros, per);
  for (let b = 0; b < o.count; b++)
    for (let placed = 0; placed < count; ) {
      const at = b * per + Math.floor(uniform() * per);
      if (codes[at] !== 0) continue;
      const sign = o.nonNegative || uniform() < 0.5 ? 1 : -1;
      codes[at] = sign * (0.5 + 0.5 * uniform());
      placed++;
    }
  const g = new GraphBuilder('csc_sample');
  const gamma = g.input('gamma', 'float32', shape);
  const w = g.input('w', 'float32', filters.shape);
  g.output('x', synthesis(g, gamma, w, layer, signalShape));
  const gammaT = hostTensor(shape, codes);
  const clean = (await runtime.run(g.toIR(), { gamma: gammaT, w: filters })).outputs.x!;
  let images = clean;
  if (o.noise && o.noise > 0) {
    const n = gaussian(mulberry32((o.seed ^ 0x5bd1e995) >>> 0));
    images = hostTensor(signalShape, Float32Array.from(clean.data as Float32Array, (v) => v + o.noise! * n()));
  }
  return { images, clean, codes: gammaT };
}
