/**
 * K-SVD, CSC and ML-CSC denoising of the cameraman at σ = 25 (0–255 scale), PSNR and SSIM next to the noisy ones.
 * Run: npx tsx docs/experiments/denoise-camera.ts [lambda-factor …]
 */
import { readFileSync } from 'node:fs';
import { downsample } from '../../src-shared/math/image';
import { readPngAsGray } from '../../src-main/engine/io';
import { addGaussianNoise, ksvdDenoise, psnr, ssim } from '../../src-main/engine/learn/sparseland';
import { cscDenoise } from '../../src-main/engine/learn/csc/denoise';
import { mlcscDenoise } from '../../src-main/engine/learn/mlcsc/denoise';
import { Runtime } from '../../src-main/engine/runtime/session';

const sigma = 25;
const img = readPngAsGray(readFileSync(new URL('../../resources/samples/camera.png', import.meta.url)), 'camera.png');
const small = downsample(img.data, 512, 512, 2);
const [h, w] = [small.height, small.width];
const clean = Float64Array.from(small.data, (v) => v * 255);
const noisy = addGaussianNoise(clean, sigma, 0);
const clip = (a: ArrayLike<number>) => Float64Array.from(a, (v) => Math.min(255, Math.max(0, v)));
const report = (name: string, x: ArrayLike<number>, seconds: number) =>
  console.log(`${name.padEnd(26)} PSNR ${psnr(clean, clip(x), 255).toFixed(2)} dB  SSIM ${ssim(clean, clip(x), h, w, 255).toFixed(4)}  (${seconds.toFixed(1)} s)`);

console.log(`camera 512×512 → ${h}×${w} (2×2 averaging), σ = ${sigma}, noise seed 0`);
report('noisy', noisy, 0);
let t = performance.now();
const k = await ksvdDenoise(noisy, h, w, { sigma, iterations: 10, atoms: 256, seed: 0 });
report('K-SVD (8×8, 256 atoms)', k.image, (performance.now() - t) / 1000);
const runtime = new Runtime();
for (const factor of process.argv.slice(2).map(Number).filter((x) => x > 0).concat(process.argv.length > 2 ? [] : [3])) {
  t = performance.now();
  const c = await cscDenoise(runtime, Float32Array.from(noisy, (v) => v / 255), h, w, { sigma: sigma / 255, lambda: factor * (sigma / 255), seed: 1 });
  report(`CSC (32 × 8×8, λ=${factor}σ)`, Float64Array.from(c.image, (v) => v * 255), (performance.now() - t) / 1000);
}
t = performance.now();
const ml = await mlcscDenoise(runtime, Float32Array.from(noisy, (v) => v / 255), h, w, { sigma: sigma / 255, seed: 1 });
report('ML-CSC (16 6×6, 32 5×5)', Float64Array.from(ml.image, (v) => v * 255), (performance.now() - t) / 1000);
await runtime.dispose();
