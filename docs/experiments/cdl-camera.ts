/**
 * Experiment (not a test): convolutional dictionary learning on the high-pass camera image, batch mode
 * (cdl.ts; the setting of SPORCO's cbpdndl examples: a 36-filter dictionary learned on high-passed images).
 *
 *   npx tsx src-main/engine/learn/csc/experiments/cdl-camera.ts OUT.png [--iterations 50] [--kernel 8]
 *       [--filters 36] [--lambda 0.1] [--init patches|random] [--shift-every 0] [--threads N]
 *
 * Reads resources/samples/camera.png (512×512), downsamples it to 256×256 (2×2 box average), removes a
 * Gaussian low-pass (highPass, σ = 4 px), learns the filters and prints, per outer iteration, the objective, its
 * terms, the code density and the seconds taken; then writes the filters as an atom grid to OUT.png.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { downsample, highPass } from '../../src-shared/math/image';
import { readPngAsGray, tileGrayImages, writeGrayPng } from '../../src-main/engine/io';
import { Runtime, hostTensor } from '../../src-main/engine/runtime/session';
import { learnConvolutionalDictionary, type CdlInit } from '../../src-main/engine/learn/csc/cdl';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    iterations: { type: 'string', default: '50' },
    kernel: { type: 'string', default: '8' },
    filters: { type: 'string', default: '36' },
    lambda: { type: 'string', default: '0.1' },
    init: { type: 'string', default: 'patches' },
    'shift-every': { type: 'string', default: '0' },
    threads: { type: 'string' },
  },
});
const out = positionals[0];
if (!out) {
  console.error('usage: npx tsx src-main/engine/learn/csc/experiments/cdl-camera.ts OUT.png [--iterations 50] [--kernel 8] [--filters 36] [--lambda 0.1] [--init patches|random] [--shift-every 0] [--threads N]');
  process.exit(2);
}
const iterations = Number(values.iterations);
const k = Number(values.kernel);
const m = Number(values.filters);
const lambda = Number(values.lambda);
const init = values.init as CdlInit;

const root = fileURLToPath(new URL('../../../../../', import.meta.url));
const png = readPngAsGray(new Uint8Array(await readFile(`${root}resources/samples/camera.png`)), 'camera.png');
const [h0, w0] = png.shape as [number, number];
const small = downsample(png.data, h0, w0, 2);
const image = highPass(small.data, small.height, small.width);
const images = hostTensor([1, 1, small.height, small.width], image);

const runtime = new Runtime({ providers: ['cpu'], ...(values.threads ? { intraOpThreads: Number(values.threads) } : {}) });
console.log(`camera ${h0}×${w0} → ${small.height}×${small.width}, high-pass σ = 4; ${m} filters ${k}×${k}, λ = ${lambda}, batch mode, ${iterations} outer iterations, init ${init}, ONNX Runtime CPU with ${runtime.intraOpThreads} thread(s)`);
console.log('iter   objective    data term   λ‖Γ‖₁       density   step      shifted  seconds');
const result = await learnConvolutionalDictionary(runtime, images, {
  filters: m,
  kernelSize: k,
  lambda,
  iterations,
  init,
  seed: 1,
  shiftMovesEvery: Number(values['shift-every']),
  onIteration: (s) =>
    console.log(
      `${String(s.iteration).padStart(4)}  ${s.objective.toFixed(4).padStart(10)}  ${s.dataTerm.toFixed(4).padStart(10)}  ${s.l1Term.toFixed(4).padStart(10)}  ${s.density.toFixed(5)}  ${s.stepSize.toExponential(2)}  ${String(s.shifted).padStart(7)}  ${s.seconds.toFixed(2).padStart(7)}`,
    ),
});
const times = result.history.map((s) => s.seconds);
const mean = times.reduce((a, b) => a + b, 0) / Math.max(1, times.length);
console.log(`total ${result.seconds.toFixed(1)} s; mean ${mean.toFixed(2)} s per outer iteration (first ${times[0]?.toFixed(2)} s, includes session builds)`);

const per = k * k;
const atoms = Array.from({ length: m }, (_, j) => (result.filters.data as Float32Array).slice(j * per, (j + 1) * per));
const grid = tileGrayImages(atoms, k, k, Math.ceil(Math.sqrt(m)), 1, { normalize: true, padValue: 0 });
await writeFile(out, writeGrayPng(grid.data, grid.shape[0]!, grid.shape[1]!, { min: 0, max: 1 }));
console.log(`wrote ${out} (${grid.shape[1]}×${grid.shape[0]} atom grid)`);
await runtime.dispose();
