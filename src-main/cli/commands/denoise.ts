import path from 'node:path';
import { Option, type Command } from 'commander';
import { readPngAsGray, readWholeFile, writeFileAtomic, writeGrayPng } from '../../engine/io';
import { addGaussianNoise, ksvdDenoise, psnr, ssim } from '../../engine/learn/sparseland';
import { cscDenoise } from '../../engine/learn/csc/denoise';
import { mlcscDenoise } from '../../engine/learn/mlcsc/denoise';
import { Runtime } from '../../engine/runtime/session';
import { CliError, printJson, progressBar } from '../output';

interface DenoiseOptions {
  image: string;
  sigma: string;
  method: 'ksvd' | 'csc' | 'mlcsc';
  out?: string;
  seed: string;
  iterations: string;
  atoms: string;
  json?: boolean;
}

export function registerDenoise(program: Command): void {
  program
    .command('denoise')
    .description('add seeded Gaussian noise of σ (0–255 scale) to a grayscale image and denoise it; reports PSNR and SSIM')
    .requiredOption('--image <file>', 'a PNG (read as grayscale)')
    .requiredOption('--sigma <σ>', 'noise standard deviation on the 0–255 scale, e.g. 25')
    .addOption(new Option('--method <name>', 'denoiser').choices(['ksvd', 'csc', 'mlcsc']).default('ksvd'))
    .option('--out <file>', 'write the denoised image as PNG')
    .option('--seed <n>', 'noise seed', '0')
    .option('--iterations <n>', 'dictionary-learning iterations (K-SVD; CDL for csc; ML-CSC steps for mlcsc)', '10')
    .option('--atoms <n>', 'K-SVD dictionary size', '256')
    .option('--json', 'machine-readable output')
    .action(async (o: DenoiseOptions) => {
      const sigma = Number(o.sigma);
      if (!(sigma > 0)) throw new CliError(`--sigma: "${o.sigma}" must be a positive number (0–255 scale)`);
      const img = readPngAsGray(await readWholeFile(o.image), o.image);
      const [h, w] = img.shape;
      const clean = Float64Array.from(img.data, (v) => v * 255);
      const noisy = addGaussianNoise(clean, sigma, Number(o.seed));
      const bar = o.json ? undefined : progressBar('denoise');
      const iterations = Number(o.iterations);
      const started = performance.now();
      let image: Float64Array;
      if (o.method === 'csc' || o.method === 'mlcsc') {
        const runtime = new Runtime();
        try {
          const denoiser = o.method === 'csc' ? cscDenoise : mlcscDenoise;
          const r = await denoiser(runtime, Float32Array.from(noisy, (v) => v / 255), h, w, {
            sigma: sigma / 255,
            learningIterations: iterations,
            seed: Number(o.seed) + 1,
            onIteration: (it, obj) => bar?.update(it / iterations, `it ${it} objective ${obj.toPrecision(5)}`),
          });
          image = Float64Array.from(r.image, (v) => v * 255);
        } finally {
          await runtime.dispose();
        }
      } else {
        const result = await ksvdDenoise(noisy, h, w, {
          sigma,
          iterations,
          atoms: Number(o.atoms),
          seed: Number(o.seed),
          onIteration: (s) => bar?.update(s.iteration / iterations, `it ${s.iteration} RMSE ${s.rmse.toFixed(3)}`),
        });
        image = result.image;
      }
      bar?.done();
      const clipped = image.map((v) => Math.min(255, Math.max(0, v)));
      const report = {
        method: o.method,
        image: o.image,
        size: [h, w],
        sigma,
        seed: Number(o.seed),
        psnrNoisy: psnr(clean, noisy, 255),
        psnr: psnr(clean, clipped, 255),
        ssimNoisy: ssim(clean, noisy, h, w, 255),
        ssim: ssim(clean, clipped, h, w, 255),
        seconds: (performance.now() - started) / 1000,
        out: o.out ?? null,
      };
      if (o.out) await writeFileAtomic(path.resolve(o.out), writeGrayPng(Float32Array.from(clipped, (v) => v / 255), h, w, { min: 0, max: 1 }));
      if (o.json) return printJson(report);
      console.log(`${o.method} on ${o.image} (${h}×${w}), σ = ${sigma}: PSNR ${report.psnrNoisy.toFixed(2)} → ${report.psnr.toFixed(2)} dB, SSIM ${report.ssimNoisy.toFixed(3)} → ${report.ssim.toFixed(3)} in ${report.seconds.toFixed(1)} s`);
    });
}
