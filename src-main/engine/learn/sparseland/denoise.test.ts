import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readPngAsGray } from '../../io/png';
import { mat } from './dense';
import { ksvdDenoise } from './denoise';
import { addGaussianNoise, psnr, ssim } from './metrics';
import { addMeans, assemblePatches, extractPatches, patchOrigins, removeMeans } from './patches';

function testImage(h: number, w: number): Float64Array {
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = (x * 7 + y * 13) % 17 + 0.5 * y;
  return out;
}

describe('patches', () => {
  it('places patch origins at the stride and always covers the last pixels', () => {
    expect(patchOrigins(10, 4)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(patchOrigins(10, 4, 3)).toEqual([0, 3, 6]);
    expect(patchOrigins(11, 4, 3)).toEqual([0, 3, 6, 7]);
    expect(() => patchOrigins(3, 4)).toThrow(/does not fit/);
  });

  it('extracts row-major patches and puts them back to the same image, at any stride', () => {
    const img = testImage(13, 17);
    for (const stride of [1, 3, 4]) {
      const set = extractPatches(img, 13, 17, 4, stride);
      expect(set.patches.rows).toBe(16);
      const j = 1;
      expect(set.patches.data[j * 16 + 1 * 4 + 2]).toBe(img[(set.rows[j]! + 1) * 17 + set.cols[j]! + 2]);
      const means = removeMeans(set.patches);
      const s = set.patches.data.subarray(0, 16).reduce((a, b) => a + b, 0);
      expect(Math.abs(s)).toBeLessThan(1e-12);
      addMeans(set.patches, means);
      const back = assemblePatches(set, set.patches);
      for (let i = 0; i < img.length; i++) expect(back[i]).toBeCloseTo(img[i]!, 12);
      // With λ the noisy image enters the average: consistent patches still give the image back.
      const withNoisy = assemblePatches(set, set.patches, { noisy: img, lambda: 3 });
      for (let i = 0; i < img.length; i++) expect(withNoisy[i]).toBeCloseTo(img[i]!, 12);
    }
  });

  it('averages as (λy + Σ R_jᵀp_j) / (λ + Σ R_jᵀR_j 1)', () => {
    const set = extractPatches(new Float64Array(25), 5, 5, 3, 1);
    const zeros = mat(9, set.rows.length);
    const y = new Float64Array(25).fill(10);
    const x = assemblePatches(set, zeros, { noisy: y, lambda: 2 });
    // The corner pixel is in 1 patch, the centre pixel in 9.
    expect(x[0]).toBeCloseTo((2 * 10) / (2 + 1), 14);
    expect(x[12]).toBeCloseTo((2 * 10) / (2 + 9), 14);
  });
});

describe('K-SVD denoising', () => {
  it('raises the PSNR of a noisy 64×64 crop of the cameraman (σ = 25) by at least 3 dB', async () => {
    const file = fileURLToPath(new URL('../../../../resources/samples/camera.png', import.meta.url));
    const png = readPngAsGray(readFileSync(file), file);
    const width = png.shape[1];
    const S = 64;
    const clean = new Float64Array(S * S);
    for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) clean[r * S + c] = 255 * png.data[(100 + r) * width + 200 + c]!;
    const noisy = addGaussianNoise(clean, 25, 1);
    const result = await ksvdDenoise(noisy, S, S, { sigma: 25, atoms: 64, iterations: 4, trainingPatches: 2000, seed: 0 });
    expect(result.errorTarget).toBeCloseTo(1.15 * 25 * 8, 12);
    expect(result.lambda).toBeCloseTo(30 / 25, 14);
    const before = psnr(clean, noisy, 255);
    const after = psnr(clean, result.image, 255);
    expect(after - before).toBeGreaterThanOrEqual(3);
    expect(ssim(clean, result.image, S, S, 255)).toBeGreaterThan(ssim(clean, noisy, S, S, 255));
  });
});
