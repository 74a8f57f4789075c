/**
 * K-SVD denoising of the 256×256 cameraman (Elad & Aharon 2006 setting: 8×8 patches, 256 atoms, σ = 25,
 * ε = 1.15·σ·8, λ = 30/σ): prints noisy and denoised PSNR/SSIM and the time taken.
 * Run: npx tsx src-main/engine/learn/sparseland/experiments/denoise-camera.ts [iterations] [trainingPatches]
 * (defaults 10 and 40000; 0 iterations denoises with the overcomplete DCT itself, a baseline).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downsample } from '../../src-shared/math/image';
import { readPngAsGray } from '../../src-main/engine/io/png';
import { ksvdDenoise } from '../../src-main/engine/learn/sparseland/denoise';
import { addGaussianNoise, psnr, ssim } from '../../src-main/engine/learn/sparseland/metrics';

const here = dirname(fileURLToPath(import.meta.url));
const file = resolve(here, '../../../../../resources/samples/camera.png');
const iterations = Number(process.argv[2] ?? 10);
const trainingPatches = Number(process.argv[3] ?? 40000);
const sigma = 25;

const png = readPngAsGray(readFileSync(file), file);
const [h0, w0] = png.shape;
const small = downsample(png.data, h0, w0, 2);
const clean = Float64Array.from(small.data, (v) => 255 * v);
const { height, width } = small;
const noisy = addGaussianNoise(clean, sigma, 2006);

console.log(`camera ${h0}×${w0} → ${height}×${width} (2×2 averaging), σ = ${sigma}, 8×8 patches, 256 atoms, ${iterations} K-SVD iterations, up to ${trainingPatches} training patches`);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const result = await ksvdDenoise(noisy, height, width, {
  sigma,
  patchSize: 8,
  atoms: 256,
  iterations,
  trainingPatches,
  seed: 0,
  onIteration: (s) => console.log(`  iteration ${s.iteration}: RMSE ${s.rmse.toFixed(3)}, mean ℓ0 ${s.meanL0.toFixed(2)}, replaced ${s.replaced}, ${s.seconds.toFixed(1)} s`),
});
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const clip = result.image.map((v) => Math.min(255, Math.max(0, v)));
console.log(`noisy:    PSNR ${psnr(clean, noisy, 255).toFixed(2)} dB, SSIM ${ssim(clean, noisy, height, width, 255).toFixed(4)}`);
console.log(`denoised: PSNR ${psnr(clean, result.image, 255).toFixed(2)} dB, SSIM ${ssim(clean, result.image, height, width, 255).toFixed(4)} (clipped to [0, 255]: PSNR ${psnr(clean, clip, 255).toFixed(2)} dB)`);
console.log(`trained on ${result.trainingPatches} of ${(height - 7) * (width - 7)} patches; ε = ${result.errorTarget.toFixed(1)}, λ = ${result.lambda.toFixed(2)}, mean ℓ0 of the final codes ${result.meanL0.toFixed(2)}, total ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU (node ${process.version})`);
