/**
 * Atoms drawn as a grid of small images: each atom normalised to its own [min, max] (atoms differ in
 * scale, and the shape is what matters), cells separated by a gap of background colour.
 */
import { grayLevel } from './image';

export interface AtomGridLayout {
  readonly count: number;
  readonly cols: number;
  readonly rows: number;
  /** Size of one atom in pixels. */
  readonly atomHeight: number;
  readonly atomWidth: number;
  readonly gap: number;
  /** Size of the whole grid in pixels, outer gaps included. */
  readonly width: number;
  readonly height: number;
}

/**
 * Chooses the number of columns so the grid is about `aspect` times wider than tall (never more columns
 * than atoms) and computes its size.
 */
export function atomGridLayout(count: number, atomHeight: number, atomWidth: number, gap = 1, aspect = 1.5): AtomGridLayout {
  const n = Math.max(0, Math.floor(count));
  const cellW = atomWidth + gap;
  const cellH = atomHeight + gap;
  const cols = n === 0 ? 0 : Math.min(n, Math.max(1, Math.round(Math.sqrt((n * aspect * cellH) / cellW))));
  const rows = cols === 0 ? 0 : Math.ceil(n / cols);
  return {
    count: n,
    cols,
    rows,
    atomHeight,
    atomWidth,
    gap,
    width: cols * cellW + gap,
    height: rows * cellH + gap,
  };
}

/** Top-left pixel of atom `index`. */
export function atomOrigin(layout: AtomGridLayout, index: number): { x: number; y: number } {
  const col = index % layout.cols;
  const row = Math.floor(index / layout.cols);
  return { x: layout.gap + col * (layout.atomWidth + layout.gap), y: layout.gap + row * (layout.atomHeight + layout.gap) };
}

/** Atom count, height and width of an atoms tensor: [m, h, w], or [m, c, h, w] (first channel shown). */
export function atomShape(shape: readonly number[]): { count: number; height: number; width: number; stride: number } {
  if (shape.length < 2) return { count: shape[0] ?? 0, height: 1, width: 1, stride: 1 };
  const height = shape.length >= 3 ? shape[shape.length - 2]! : 1;
  const width = shape[shape.length - 1]!;
  const count = shape[0]!;
  const stride = shape.slice(1).reduce((a, b) => a * b, 1);
  return { count, height, width, stride };
}

/**
 * RGBA pixels of the grid. `images` holds `count` atoms, atom j starting at j·stride with height×width
 * values row-major; `background` is the gap colour.
 */
export function renderAtomGrid(
  images: Float32Array,
  layout: AtomGridLayout,
  stride: number,
  background: readonly [number, number, number],
): Uint8ClampedArray<ArrayBuffer> {
  const { width, height, atomHeight: h, atomWidth: w } = layout;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    out[4 * i] = background[0];
    out[4 * i + 1] = background[1];
    out[4 * i + 2] = background[2];
    out[4 * i + 3] = 255;
  }
  const size = h * w;
  for (let j = 0; j < layout.count; j++) {
    const start = j * stride;
    if (start + size > images.length) break;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < size; k++) {
      const v = images[start + k]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const { x, y } = atomOrigin(layout, j);
    for (let r = 0; r < h; r++)
      for (let c = 0; c < w; c++) {
        const g = grayLevel(images[start + r * w + c]!, lo, hi);
        const p = 4 * ((y + r) * width + x + c);
        out[p] = out[p + 1] = out[p + 2] = g;
      }
  }
  return out;
}

/** An integer zoom so the grid is drawn at least `target` CSS pixels wide (pixelated, never blurred). */
export function gridZoom(width: number, target = 320, max = 16): number {
  if (width <= 0) return 1;
  return Math.max(1, Math.min(max, Math.floor(target / width)));
}
