import { describe, expect, it } from 'vitest';
import { atomGridLayout, atomOrigin, atomShape, gridZoom, renderAtomGrid } from './atom-grid';

const BG = [10, 20, 30] as const;

function pixel(rgba: Uint8ClampedArray, width: number, x: number, y: number) {
  const p = 4 * (y * width + x);
  return [rgba[p], rgba[p + 1], rgba[p + 2], rgba[p + 3]];
}

describe('atomGridLayout', () => {
  it('fits every atom, with gaps between and around them', () => {
    for (const n of [1, 2, 7, 8, 16, 33, 512]) {
      const l = atomGridLayout(n, 6, 6, 1);
      expect(l.cols * l.rows).toBeGreaterThanOrEqual(n);
      expect((l.rows - 1) * l.cols).toBeLessThan(n); // no empty last row
      expect(l.width).toBe(l.cols * 7 + 1);
      expect(l.height).toBe(l.rows * 7 + 1);
    }
  });

  it('is wider than tall for many square atoms, and handles none', () => {
    const l = atomGridLayout(64, 5, 5, 1, 1.5);
    expect(l.cols).toBeGreaterThan(l.rows);
    expect(atomGridLayout(0, 5, 5)).toMatchObject({ cols: 0, rows: 0, width: 1, height: 1 });
    expect(atomGridLayout(3, 5, 5).cols).toBeLessThanOrEqual(3);
  });

  it('places atoms row by row', () => {
    const l = atomGridLayout(8, 3, 4, 2);
    expect(atomOrigin(l, 0)).toEqual({ x: 2, y: 2 });
    expect(atomOrigin(l, 1)).toEqual({ x: 8, y: 2 });
    expect(atomOrigin(l, l.cols)).toEqual({ x: 2, y: 7 });
  });
});

describe('atomShape', () => {
  it('reads [m, h, w] and [m, c, h, w] (first channel)', () => {
    expect(atomShape([8, 6, 5])).toEqual({ count: 8, height: 6, width: 5, stride: 30 });
    expect(atomShape([8, 3, 6, 5])).toEqual({ count: 8, height: 6, width: 5, stride: 90 });
  });
});

describe('renderAtomGrid', () => {
  it('normalises each atom to its own range and leaves gaps in the background colour', () => {
    // Two 2×2 atoms with very different scales: both must span 0…255.
    const images = new Float32Array([0, 1, 2, 3, -1000, 0, 500, 1000]);
    const l = atomGridLayout(2, 2, 2, 1, 100); // one row
    expect([l.cols, l.rows]).toEqual([2, 1]);
    const rgba = renderAtomGrid(images, l, 4, BG);
    expect(rgba.length).toBe(l.width * l.height * 4);
    const a = atomOrigin(l, 0);
    const b = atomOrigin(l, 1);
    expect(pixel(rgba, l.width, a.x, a.y)).toEqual([0, 0, 0, 255]);
    expect(pixel(rgba, l.width, a.x + 1, a.y + 1)).toEqual([255, 255, 255, 255]);
    expect(pixel(rgba, l.width, a.x + 1, a.y)).toEqual([85, 85, 85, 255]);
    expect(pixel(rgba, l.width, b.x, b.y)).toEqual([0, 0, 0, 255]);
    expect(pixel(rgba, l.width, b.x + 1, b.y + 1)).toEqual([255, 255, 255, 255]);
    // Gaps: the outer border and the column between the atoms.
    expect(pixel(rgba, l.width, 0, 0)).toEqual([...BG, 255]);
    expect(pixel(rgba, l.width, a.x + 2, a.y)).toEqual([...BG, 255]);
    expect(pixel(rgba, l.width, l.width - 1, l.height - 1)).toEqual([...BG, 255]);
  });

  it('draws a constant atom mid-grey instead of dividing by zero', () => {
    const l = atomGridLayout(1, 2, 2, 1);
    const rgba = renderAtomGrid(new Float32Array([3, 3, 3, 3]), l, 4, BG);
    expect(pixel(rgba, l.width, 1, 1)).toEqual([128, 128, 128, 255]);
  });

  it('stops at the end of the data rather than reading past it', () => {
    const l = atomGridLayout(3, 2, 2, 1);
    const rgba = renderAtomGrid(new Float32Array(8), l, 4, BG);
    const c = atomOrigin(l, 2);
    expect(pixel(rgba, l.width, c.x, c.y)).toEqual([...BG, 255]);
  });
});

describe('gridZoom', () => {
  it('gives an integer zoom reaching the target width, within bounds', () => {
    expect(gridZoom(50, 320)).toBe(6);
    expect(gridZoom(1000, 320)).toBe(1);
    expect(gridZoom(3, 320, 16)).toBe(16);
    expect(gridZoom(0)).toBe(1);
  });
});
