/**
 * The preprocessing steps of a data set (the contract's PreprocessStep), applied in order to an
 * imported [N, C, H, W] array.
 *
 * - grayscale: ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B) of 3- or 4-channel data (alpha
 *   ignored); 1-channel data is left as is; any other channel count is a RangeError.
 * - scale01: (x − min) / (max − min) over the whole (training) set; a constant set becomes 0.
 * - remove-mean: subtracts each item's mean over all its channels and pixels.
 * - high-pass: each item and channel minus its Gaussian low-pass of width sigma (edge replication,
 *   kernel cut at 3σ), as SPORCO's examples do before CSC; on 1-D signals (H = 1) the blur runs
 *   along W only.
 * - crop: the window x ≤ col < x + width, y ≤ row < y + height of every item; it must lie inside.
 * - resize: separable resampling to width × height; along an axis that grows (or keeps its size),
 *   bilinear interpolation with pixel centres aligned ((o + ½)·in/out − ½, edges clamped); along
 *   an axis that shrinks, area averaging (each output pixel is the mean of the input span it
 *   covers, fractional pixels weighted), which does not alias the way bilinear does.
 * - patches: every size × size window at multiples of `stride` (⌊(H − size)/stride⌋ + 1 rows by
 *   ⌊(W − size)/stride⌋ + 1 columns per item, row-major, items in order); 1-D signals (H = 1) give
 *   1 × size windows. With `max`, that many of them drawn without replacement (mulberry32 with
 *   `seed`), kept in their original order. Patches inherit their item's label.
 * - split: round(N · testFraction) items (at least 1, at most N − 1) drawn at random with `seed`
 *   form the test set; both sets keep the original order. At most one split.
 *
 * Steps after a split apply to both sets; scale01 then uses the training set's min and max for
 * both, so nothing about the test set leaks into the training data.
 */
import type { PreprocessStep } from '../../../src-shared/contract';
import { highPass } from '../../../src-shared/math/image';
import { CountingRandom } from '../../../src-shared/math/random';
import type { ImportedArray } from './import';

/** Steps whose output would hold more values than this are refused before allocating. */
export const MAX_PREPROCESS_ELEMENTS = 2 ** 28;

type Shape4 = [number, number, number, number];

function withData(a: ImportedArray, data: Float32Array, shape: Shape4, labels?: Int32Array): ImportedArray {
  const out: ImportedArray = { name: a.name, data, shape, sourceDtype: a.sourceDtype, sourceShape: a.sourceShape.slice() };
  const l = labels ?? a.labels;
  if (l) out.labels = l;
  return out;
}

function checkOutput(step: string, shape: Shape4): void {
  const n = shape[0] * shape[1] * shape[2] * shape[3];
  if (n > MAX_PREPROCESS_ELEMENTS) {
    throw new RangeError(`${step} would produce ${shape.join('x')} = ${n} values; more than ${MAX_PREPROCESS_ELEMENTS} are refused`);
  }
}

function grayscale(a: ImportedArray): ImportedArray {
  const [N, C, H, W] = a.shape;
  if (C === 1) return a;
  if (C !== 3 && C !== 4) throw new RangeError(`grayscale needs 1, 3 or 4 channels (gray, RGB, RGBA); the data has ${C}`);
  const plane = H * W;
  const out = new Float32Array(N * plane);
  for (let n = 0; n < N; n++) {
    const base = n * C * plane;
    for (let p = 0; p < plane; p++) {
      out[n * plane + p] = 0.299 * a.data[base + p]! + 0.587 * a.data[base + plane + p]! + 0.114 * a.data[base + 2 * plane + p]!;
    }
  }
  return withData(a, out, [N, 1, H, W]);
}

function range(data: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

function scale01(a: ImportedArray, r: { min: number; max: number }): ImportedArray {
  const scale = r.max > r.min ? 1 / (r.max - r.min) : 0;
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (a.data[i]! - r.min) * scale;
  return withData(a, out, a.shape);
}

function removeMean(a: ImportedArray): ImportedArray {
  const [N, C, H, W] = a.shape;
  const item = C * H * W;
  const out = new Float32Array(a.data.length);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let i = 0; i < item; i++) s += a.data[n * item + i]!;
    const mean = item > 0 ? s / item : 0;
    for (let i = 0; i < item; i++) out[n * item + i] = a.data[n * item + i]! - mean;
  }
  return withData(a, out, a.shape);
}

function highPassStep(a: ImportedArray, sigma: number): ImportedArray {
  if (!(sigma > 0 && sigma <= 64)) throw new RangeError(`high-pass sigma must be in (0, 64], got ${sigma}`);
  const [N, C, H, W] = a.shape;
  const plane = H * W;
  const out = new Float32Array(a.data.length);
  for (let k = 0; k < N * C; k++) out.set(highPass(a.data.subarray(k * plane, (k + 1) * plane), H, W, sigma), k * plane);
  return withData(a, out, a.shape);
}

function crop(a: ImportedArray, s: { x: number; y: number; width: number; height: number }): ImportedArray {
  const [N, C, H, W] = a.shape;
  for (const [k, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 0 || ((k === 'width' || k === 'height') && v === 0)) {
      throw new RangeError(`crop ${k} must be a ${k === 'width' || k === 'height' ? 'positive' : 'non-negative'} integer, got ${v}`);
    }
  }
  if (s.x + s.width > W || s.y + s.height > H) {
    throw new RangeError(
      `crop x ${s.x}..${s.x + s.width - 1}, y ${s.y}..${s.y + s.height - 1} lies outside the ${W}x${H} (width x height) items`,
    );
  }
  const out = new Float32Array(N * C * s.width * s.height);
  let o = 0;
  for (let k = 0; k < N * C; k++) {
    for (let y = s.y; y < s.y + s.height; y++) {
      const row = k * H * W + y * W;
      out.set(a.data.subarray(row + s.x, row + s.x + s.width), o);
      o += s.width;
    }
  }
  return withData(a, out, [N, C, s.height, s.width]);
}

/** Per output index, the input indices and weights of a 1-D resampling from `nIn` to `nOut`. */
function resampleWeights(nIn: number, nOut: number): Array<{ idx: number[]; w: number[] }> {
  const out: Array<{ idx: number[]; w: number[] }> = [];
  const s = nIn / nOut;
  for (let o = 0; o < nOut; o++) {
    if (nOut >= nIn) {
      const src = Math.min(Math.max((o + 0.5) * s - 0.5, 0), nIn - 1);
      const i0 = Math.floor(src);
      const i1 = Math.min(i0 + 1, nIn - 1);
      const t = src - i0;
      out.push(t === 0 || i1 === i0 ? { idx: [i0], w: [1] } : { idx: [i0, i1], w: [1 - t, t] });
    } else {
      const lo = o * s;
      const hi = (o + 1) * s;
      const idx: number[] = [];
      const w: number[] = [];
      for (let i = Math.floor(lo); i < Math.min(Math.ceil(hi), nIn); i++) {
        const cover = Math.min(hi, i + 1) - Math.max(lo, i);
        if (cover > 0) {
          idx.push(i);
          w.push(cover / s);
        }
      }
      out.push({ idx, w });
    }
  }
  return out;
}

function resize(a: ImportedArray, width: number, height: number): ImportedArray {
  const [N, C, H, W] = a.shape;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 8192 || height > 8192) {
    throw new RangeError(`resize needs integer width and height in 1..8192, got ${width}x${height}`);
  }
  checkOutput('resize', [N, C, height, width]);
  if (width === W && height === H) return a;
  const wx = resampleWeights(W, width);
  const wy = resampleWeights(H, height);
  const tmp = new Float32Array(H * width);
  const out = new Float32Array(N * C * height * width);
  for (let k = 0; k < N * C; k++) {
    const src = a.data.subarray(k * H * W, (k + 1) * H * W);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < width; x++) {
        const { idx, w } = wx[x]!;
        let v = 0;
        for (let j = 0; j < idx.length; j++) v += w[j]! * src[y * W + idx[j]!]!;
        tmp[y * width + x] = v;
      }
    }
    const dst = k * height * width;
    for (let y = 0; y < height; y++) {
      const { idx, w } = wy[y]!;
      for (let x = 0; x < width; x++) {
        let v = 0;
        for (let j = 0; j < idx.length; j++) v += w[j]! * tmp[idx[j]! * width + x]!;
        out[dst + y * width + x] = v;
      }
    }
  }
  return withData(a, out, [N, C, height, width]);
}

/** Number of patches per item and their grid, as the patches step takes them. */
export function patchGrid(shape: Shape4, size: number, stride: number): { rows: number; cols: number; ph: number; pw: number } {
  const [, , H, W] = shape;
  const ph = H === 1 ? 1 : size;
  if (size > W || ph > H) {
    throw new RangeError(`patches of ${ph === 1 ? `1x${size}` : `${size}x${size}`} do not fit in ${W}x${H} (width x height) items`);
  }
  return { rows: Math.floor((H - ph) / stride) + 1, cols: Math.floor((W - size) / stride) + 1, ph, pw: size };
}

function patches(a: ImportedArray, size: number, stride: number, max: number | undefined, seed: number): ImportedArray {
  const [N, C, H, W] = a.shape;
  if (!Number.isInteger(size) || size < 2 || !Number.isInteger(stride) || stride < 1) {
    throw new RangeError(`patches need an integer size ≥ 2 and stride ≥ 1, got size ${size}, stride ${stride}`);
  }
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw new RangeError(`patches max must be a positive integer, got ${max}`);
  const { rows, cols, ph, pw } = patchGrid(a.shape, size, stride);
  const per = rows * cols;
  const total = N * per;
  let chosen: number[] | null = null;
  if (max !== undefined && max < total) chosen = new CountingRandom(seed).sample(total, max).sort((x, y) => x - y);
  const count = chosen ? chosen.length : total;
  checkOutput('patches', [count, C, ph, pw]);
  const out = new Float32Array(count * C * ph * pw);
  const labels = a.labels ? new Int32Array(count) : undefined;
  for (let p = 0; p < count; p++) {
    const id = chosen ? chosen[p]! : p;
    const n = Math.floor(id / per);
    const r = Math.floor((id % per) / cols);
    const c = id % cols;
    if (labels) labels[p] = a.labels![n]!;
    for (let ch = 0; ch < C; ch++) {
      const src = (n * C + ch) * H * W;
      const dst = (p * C + ch) * ph * pw;
      for (let y = 0; y < ph; y++) {
        const row = src + (r * stride + y) * W + c * stride;
        out.set(a.data.subarray(row, row + pw), dst + y * pw);
      }
    }
  }
  return withData(a, out, [count, C, ph, pw], labels);
}

function take(a: ImportedArray, items: number[]): ImportedArray {
  const [, C, H, W] = a.shape;
  const item = C * H * W;
  const out = new Float32Array(items.length * item);
  items.forEach((n, i) => out.set(a.data.subarray(n * item, (n + 1) * item), i * item));
  const labels = a.labels ? Int32Array.from(items, (n) => a.labels![n]!) : undefined;
  const res: ImportedArray = { name: a.name, data: out, shape: [items.length, C, H, W], sourceDtype: a.sourceDtype, sourceShape: a.sourceShape.slice() };
  if (labels) res.labels = labels;
  return res;
}

function split(a: ImportedArray, testFraction: number, seed: number): { train: ImportedArray; test: ImportedArray } {
  const N = a.shape[0];
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`split testFraction must be in (0, 1), got ${testFraction}`);
  if (N < 2) throw new RangeError(`cannot split ${N} item${N === 1 ? '' : 's'} into train and test sets (at least 2 are needed)`);
  const nTest = Math.min(N - 1, Math.max(1, Math.round(N * testFraction)));
  const testIdx = new CountingRandom(seed).sample(N, nTest).sort((x, y) => x - y);
  const inTest = new Uint8Array(N);
  for (const i of testIdx) inTest[i] = 1;
  const trainIdx: number[] = [];
  for (let i = 0; i < N; i++) if (!inTest[i]) trainIdx.push(i);
  return { train: take(a, trainIdx), test: take(a, testIdx) };
}

/** Apply `steps` in order; RangeError for a step that cannot apply to the data (with what and why). */
export function preprocess(a: ImportedArray, steps: PreprocessStep[]): { train: ImportedArray; test?: ImportedArray } {
  let train = a;
  let test: ImportedArray | undefined;
  steps.forEach((step, i) => {
    const both = (f: (x: ImportedArray) => ImportedArray): void => {
      train = f(train);
      if (test) test = f(test);
    };
    try {
      switch (step.op) {
        case 'grayscale':
          return both(grayscale);
        case 'scale01': {
          const r = range(train.data);
          return both((x) => scale01(x, r));
        }
        case 'remove-mean':
          return both(removeMean);
        case 'high-pass':
          return both((x) => highPassStep(x, step.sigma));
        case 'crop':
          return both((x) => crop(x, { x: step.x, y: step.y, width: step.width, height: step.height }));
        case 'resize':
          return both((x) => resize(x, step.width, step.height));
        case 'patches':
          return both((x) => patches(x, step.size, step.stride, step.max, step.seed ?? 0));
        case 'split': {
          if (test) throw new RangeError('the data is already split (only one split step is allowed)');
          const s = split(train, step.testFraction, step.seed ?? 0);
          train = s.train;
          test = s.test;
          return;
        }
        default:
          throw new RangeError(`unknown preprocessing step '${(step as { op: string }).op}'`);
      }
    } catch (e) {
      if (e instanceof RangeError) throw new RangeError(`preprocessing step ${i + 1} (${step.op}): ${e.message}`, { cause: e });
      throw e;
    }
  });
  return test ? { train, test } : { train };
}
