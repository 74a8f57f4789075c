import { describe, expect, it } from 'vitest';
import { addGaussianNoise, mse, psnr, ssim } from './metrics';

function ramp(h: number, w: number): Float64Array {
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = 128 + 100 * Math.sin(x / 5) * Math.cos(y / 7);
  return out;
}

describe('image metrics', () => {
  it('PSNR is Infinity for identical images and 10·log10(R²/MSE) otherwise', () => {
    const a = ramp(20, 30);
    expect(psnr(a, a, 255)).toBe(Infinity);
    // Every pixel off by ±4: MSE = 16 exactly.
    const b = a.map((v, i) => v + (i % 2 ? 4 : -4));
    expect(mse(a, b)).toBe(16);
    expect(psnr(a, b, 255)).toBeCloseTo(10 * Math.log10((255 * 255) / 16), 12);
    expect(psnr(a, b, 1)).toBeCloseTo(10 * Math.log10(1 / 16), 12);
    expect(() => psnr(a, b.subarray(1), 255)).toThrow(/differ in size/);
  });

  it('SSIM is 1 for identical images and decreases as noise grows', () => {
    const a = ramp(40, 48);
    expect(ssim(a, a, 40, 48, 255)).toBeCloseTo(1, 14);
    let last = 1;
    for (const sigma of [2, 5, 10, 25, 50]) {
      const s = ssim(a, addGaussianNoise(a, sigma, 3), 40, 48, 255);
      expect(s).toBeLessThan(last);
      last = s;
    }
    expect(last).toBeLessThan(0.5);
  });

  it('SSIM of a constant shift is the luminance term alone (a closed form on flat images)', () => {
    // Flat images: σ's are 0, so SSIM = (2μxμy + C1)/(μx² + μy² + C1).
    const a = new Float64Array(15 * 15).fill(100);
    const b = new Float64Array(15 * 15).fill(120);
    const c1 = (0.01 * 255) ** 2;
    expect(ssim(a, b, 15, 15, 255)).toBeCloseTo((2 * 100 * 120 + c1) / (100 * 100 + 120 * 120 + c1), 12);
    expect(() => ssim(a.subarray(0, 100), b.subarray(0, 100), 10, 10, 255)).toThrow(/at least 11×11/);
  });

  it('adds seeded Gaussian noise: same seed, same image; the sample σ is close to σ', () => {
    const a = new Float64Array(20000).fill(50);
    const n1 = addGaussianNoise(a, 25, 7);
    expect(Array.from(addGaussianNoise(a, 25, 7))).toEqual(Array.from(n1));
    expect(Array.from(addGaussianNoise(a, 25, 8))).not.toEqual(Array.from(n1));
    expect(Math.sqrt(mse(a, n1))).toBeGreaterThan(24.5);
    expect(Math.sqrt(mse(a, n1))).toBeLessThan(25.5);
  });
});
