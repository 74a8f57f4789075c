import { describe, expect, it } from 'vitest';
import { firstPlane, grayLevel, grayscaleRGBA, psnr, valueRange } from './image';

describe('image helpers', () => {
  it('takes the first H×W plane of [B, C, H, W], [C, H, W] and [H, W] tensors', () => {
    const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
    for (const shape of [[2, 1, 3, 4], [2, 3, 4], [6, 4]]) {
      const p = firstPlane({ shape, data: data.subarray(0, shape.reduce((a, b) => a * b, 1)) });
      expect([p.height, p.width]).toEqual(shape.slice(-2));
      expect(p.data[p.data.length - 1]).toBe(p.height * p.width - 1);
    }
  });

  it('computes one shared range over several images', () => {
    expect(valueRange(new Float32Array([0.2, 0.5]), new Float32Array([-0.1, 0.3]))).toEqual([expect.closeTo(-0.1), expect.closeTo(0.5)]);
    expect(valueRange()).toEqual([0, 1]);
  });

  it('maps the shared range to 0…255 and clamps outside it', () => {
    expect(grayLevel(-1, -1, 1)).toBe(0);
    expect(grayLevel(1, -1, 1)).toBe(255);
    expect(grayLevel(5, -1, 1)).toBe(255);
    expect(grayLevel(0, 0, 0)).toBe(128);
    expect(grayLevel(NaN, 0, 1)).toBe(0);
    expect(Array.from(grayscaleRGBA(new Float32Array([0, 1]), 0, 2))).toEqual([0, 0, 0, 255, 128, 128, 128, 255]);
  });

  it('PSNR is infinite for identical images and 20 dB for a 10% error over a unit range', () => {
    const a = new Float32Array([0, 1, 0, 1]);
    expect(psnr(a, a)).toBe(Infinity);
    expect(psnr(a, a.map((v) => v + 0.1))).toBeCloseTo(20, 4);
  });
});
