/**
 * Importing a data set: one file (or a folder of images) into a float32 [N, C, H, W] array.
 *
 * The format comes from the content (magic bytes) and is cross-checked against the extension: a
 * file whose content contradicts its name is refused, naming both. Every size a file declares is
 * checked against `maxElements` (default 2^28) before anything proportional to it is allocated, and
 * any NaN or infinity is refused with the file and the first index where it occurs.
 *
 * Mapping to [N, C, H, W]:
 * - images (PNG, JPEG, TIFF, BMP): N = 1 (or the number of TIFF pages), C = 1 (gray), 3 (RGB) or 4
 *   (RGBA); gray+alpha drops its alpha (C = 1). Values in [0, 1]: 8-bit / 255, 16-bit / 65535
 *   (float TIFFs as stored). A folder: every image file in it (not subfolders), in natural name
 *   order (img2 before img10), all of one size; mixed gray and colour are promoted to the largest
 *   channel count (gray replicated, missing alpha = 1).
 * - IDX: [n, h, w] → [n, 1, h, w], [n, d] → [n, 1, 1, d], [n, h, w, c≤4] → [n, c, h, w]; unsigned
 *   bytes / 255. A 1-D IDX file is a label file and is refused as data; an images file's labels
 *   are attached when its sibling (…-labels-idx1-ubyte) sits beside it.
 * - NPY / NPZ / MAT (MAT in its MATLAB shape, C order), after dropping leading size-1 dimensions
 *   beyond four:
 *     1-D [L]       → [1, 1, 1, L]  (one 1-D signal)
 *     2-D [H, W]    → [1, 1, H, W]; a column vector [L, 1] → [1, 1, 1, L]
 *     3-D [a, b, c] → a ≤ 4: [1, a, b, c] (channels first, [C, H, W]);
 *                     else c ≤ 4: [1, c, a, b] (channels last, [H, W, C], transposed);
 *                     else [a, 1, b, c] (a stack [N, H, W])
 *     4-D           → as is, [N, C, H, W]
 *   more dimensions, scalars and empty arrays are refused. In an .npz/.mat the array named by
 *   `array` is read, else the first numeric one (preferring one that is not a label vector); a
 *   label vector (named labels/label/y/targets, or y… beside x…) of N integers is attached.
 * - CSV/TSV (and whitespace-separated .txt): each row one 1-D signal → [rows, 1, 1, cols]; a
 *   non-numeric first line is a header and skipped.
 */
import type { Dirent } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { readBmp, probeBmp } from '../io/bmp';
import { readNumericTable } from '../io/csv';
import { DataFormatError } from '../io/errors';
import { readWholeFile } from '../io/fileio';
import { readIdx, readIdxHeader } from '../io/idx';
import { probeJpeg, readJpeg } from '../io/jpeg';
import { listMat, readMatVariable, type MatArray, type MatVariableInfo } from '../io/mat';
import { listMat73, readMat73Variable } from '../io/mat73';
import { formatShape, readNpyFile, readNpyHeaderFile, type NdArray } from '../io/npy';
import { listNpz, readNpzArray } from '../io/npz';
import { probePng, readPng, type ColorImage } from '../io/png';
import { decodeTiffPage, probeTiff, tiffDtype } from '../io/tiff';
import { contentMatchesName, describeKind, IMAGE_EXTENSIONS, IMAGE_KINDS, kindFromName, sniff, type ContentKind, type NameKind } from './detect';

export interface ImportedArray {
  name: string;
  data: Float32Array;
  shape: [number, number, number, number] /* N, C, H, W */;
  sourceDtype: string;
  sourceShape: number[];
  labels?: Int32Array;
}

export interface ImportResult {
  format: 'image' | 'image-folder' | 'idx' | 'npy' | 'npz' | 'mat' | 'csv';
  path: string;
  arrays: ImportedArray[];
  /** For .npz/.mat: the names of every numeric array in the file, for choosing another. */
  available?: string[];
}

export interface ImportOptions {
  /** Which array of an .npz/.mat; default the first numeric one. */
  array?: string;
  /** Arrays with more elements than this are refused before allocation. Default 2^28. */
  maxElements?: number;
}

export const DEFAULT_MAX_ELEMENTS = 2 ** 28;

type Shape4 = [number, number, number, number];

// ---------------------------------------------------------------------------------------------
// Checks shared by every format

function checkElements(source: string, what: string, n: number, maxElements: number): void {
  if (!(n <= maxElements)) {
    throw new DataFormatError(source, `${what} has ${n} elements; more than ${maxElements} are refused (too large)`);
  }
}

function describeIndex(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  let r = flat;
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k]! || 1;
    idx.unshift(r % d);
    r = Math.floor(r / d);
  }
  return `[${idx.join(', ')}]`;
}

/** Refuse the first NaN/±Infinity; `shape` is the layout of `data` used to describe the index. */
function refuseNonFinite(source: string, data: ArrayLike<number>, shape: readonly number[], what = 'data', note = ''): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) {
      const kind = Number.isNaN(v) ? 'NaN' : v > 0 ? '+Infinity' : '-Infinity';
      throw new DataFormatError(
        source,
        `${what} contains ${kind} at index ${describeIndex(i, shape)} (0-based; flat index ${i})${Number.isNaN(v) ? '' : note}`,
      );
    }
  }
}

const F32_NOTE = ' (an infinite value, or one beyond the float32 range ±3.4e38)';

function nonEmpty(source: string, what: string, shape: readonly number[]): void {
  if (shape.length === 0) throw new DataFormatError(source, `${what} is a single number (a 0-d array), not a data set`);
  if (shape.some((d) => d === 0)) throw new DataFormatError(source, `${what} is empty (shape ${formatShape(shape)})`);
}

/** NdArray → float32 in C order, refusing NaN/Infinity in the source and values float32 cannot hold. */
function ndToFloat32(arr: NdArray, source: string, what: string): Float32Array {
  const d = arr.data;
  if (d instanceof Float32Array || d instanceof Float64Array) refuseNonFinite(source, d, arr.shape, what);
  const out = new Float32Array(d.length);
  if (d instanceof BigInt64Array) for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  else out.set(d);
  refuseNonFinite(source, out, arr.shape, what, ' (a value beyond the float32 range ±3.4e38)');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Shapes

/** [H, W, C] (C order) → [C, H, W]. */
function hwcToChw(data: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) out[k * plane + p] = data[p * c + k]!;
  return out;
}

/** Apply the documented NPY/NPZ/MAT rule; returns the [N, C, H, W] shape and the data in that layout. */
function arrayToNchw(data: Float32Array, sourceShape: readonly number[], source: string, what: string): { shape: Shape4; data: Float32Array } {
  nonEmpty(source, what, sourceShape);
  const s = sourceShape.slice();
  while (s.length > 4 && s[0] === 1) s.shift();
  if (s.length > 4) {
    throw new DataFormatError(source, `${what} has ${sourceShape.length} dimensions ${formatShape(sourceShape)}; at most 4 ([N, C, H, W]) are supported`);
  }
  switch (s.length) {
    case 1:
      return { shape: [1, 1, 1, s[0]!], data };
    case 2:
      return s[1] === 1 ? { shape: [1, 1, 1, s[0]!], data } : { shape: [1, 1, s[0]!, s[1]!], data };
    case 3: {
      const [a, b, c] = s as [number, number, number];
      if (a <= 4) return { shape: [1, a, b, c], data };
      if (c <= 4) return { shape: [1, c, a, b], data: hwcToChw(data, a, b, c) };
      return { shape: [a, 1, b, c], data };
    }
    default:
      return { shape: s as Shape4, data };
  }
}

// ---------------------------------------------------------------------------------------------
// Labels

const LABEL_NAMES = ['labels', 'label', 'y', 'targets', 'target', 'classes'];

function labelCandidates(dataName: string): string[] {
  const m = /^x(.*)$/i.exec(dataName);
  const out = m ? [`y${m[1]}`, `Y${m[1]}`, `labels${m[1]}`] : [];
  return [...out, ...LABEL_NAMES];
}

function isLabelName(name: string): boolean {
  return LABEL_NAMES.includes(name.toLowerCase()) || /^(y|labels?)[_-]/i.test(name);
}

/** Int32 labels from integer values, or undefined when they are not N integers within int32. */
function toLabels(values: ArrayLike<number | bigint>, n: number): Int32Array | undefined {
  if (values.length !== n) return undefined;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(values[i]!);
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) return undefined;
    out[i] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Images

interface ProbedImage {
  pages: Array<{ width: number; height: number; channels: number }>;
  dtype: string;
}

function probeImage(bytes: Uint8Array, kind: ContentKind, source: string): ProbedImage {
  switch (kind) {
    case 'png': {
      const p = probePng(bytes, source);
      return { pages: [{ width: p.width, height: p.height, channels: p.channels === 2 ? 1 : p.channels }], dtype: p.bitDepth === 16 ? 'uint16' : 'uint8' };
    }
    case 'jpeg': {
      const p = probeJpeg(bytes, source);
      return { pages: [{ width: p.width, height: p.height, channels: p.components }], dtype: 'uint8' };
    }
    case 'bmp': {
      const p = probeBmp(bytes, source);
      return { pages: [{ width: p.width, height: p.height, channels: p.channels }], dtype: 'uint8' };
    }
    default: {
      const pages = probeTiff(bytes, source);
      const full = pages.filter((p) => !p.reducedResolution);
      const use = full.length > 0 ? full : pages;
      const dtypes = [...new Set(use.map(tiffDtype))];
      return { pages: use.map((p) => ({ width: p.width, height: p.height, channels: p.channels })), dtype: dtypes.join(', ') };
    }
  }
}

/** Decoded pages as planes [C, H, W], gray+alpha reduced to gray. */
function decodeImage(bytes: Uint8Array, kind: ContentKind, source: string): ColorImage[] {
  const dropAlpha = (img: ColorImage): ColorImage =>
    img.channels === 2 ? { ...img, channels: 1, data: img.data.subarray(0, img.width * img.height) } : img;
  switch (kind) {
    case 'png':
      return [dropAlpha(readPng(bytes, source))];
    case 'jpeg':
      return [readJpeg(bytes, source)];
    case 'bmp':
      return [readBmp(bytes, source)];
    default: {
      const pages = probeTiff(bytes, source);
      const full = pages.filter((p) => !p.reducedResolution);
      return (full.length > 0 ? full : pages).map((p) => decodeTiffPage(bytes, p, source));
    }
  }
}

/** Copy planes with `from` channels into `to` channels: gray replicated to RGB, missing alpha = 1. */
function promoteInto(out: Float32Array, offset: number, img: ColorImage, to: number): void {
  const plane = img.width * img.height;
  const from = img.channels;
  for (let c = 0; c < to; c++) {
    const dst = out.subarray(offset + c * plane, offset + (c + 1) * plane);
    if (c < from && !(from === 1 && c > 0)) dst.set(img.data.subarray(c * plane, (c + 1) * plane));
    else if (c === 3) dst.fill(1);
    else dst.set(img.data.subarray(0, plane)); // gray → R, G, B
  }
}

function sameSize(source: string, label: string, first: string, a: { width: number; height: number }, b: { width: number; height: number }): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new DataFormatError(
      source,
      `${label} is ${b.width}x${b.height} but ${first} is ${a.width}x${a.height}; all images must be the same size`,
    );
  }
}

function imageResult(name: string, pages: ColorImage[], source: string, dtype: string, maxElements: number): ImportedArray {
  const first = pages[0]!;
  const C = Math.max(...pages.map((p) => p.channels));
  pages.forEach((p, i) => sameSize(source, `page ${i}`, 'page 0', first, p));
  const n = pages.length * C * first.height * first.width;
  checkElements(source, 'image', n, maxElements);
  const data = new Float32Array(n);
  pages.forEach((p, i) => promoteInto(data, i * C * first.height * first.width, p, C));
  refuseNonFinite(source, data, [pages.length, C, first.height, first.width], 'image', F32_NOTE);
  const sourceShape = pages.length === 1 ? [first.height, first.width, first.channels] : [pages.length, first.height, first.width, C];
  return { name, data, shape: [pages.length, C, first.height, first.width], sourceDtype: dtype, sourceShape };
}

function importImage(bytes: Uint8Array, kind: ContentKind, path: string, maxElements: number): ImportedArray {
  const probed = probeImage(bytes, kind, path);
  const C = Math.max(...probed.pages.map((p) => p.channels));
  const p0 = probed.pages[0]!;
  probed.pages.forEach((p, i) => sameSize(path, `page ${i}`, 'page 0', p0, p));
  checkElements(path, `${p0.width}x${p0.height} image${probed.pages.length > 1 ? ` of ${probed.pages.length} pages` : ''}`, probed.pages.length * C * p0.width * p0.height, maxElements);
  return imageResult(basename(path), decodeImage(bytes, kind, path), path, probed.dtype, maxElements);
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'variant' }) || (a < b ? -1 : a > b ? 1 : 0);
}

async function importFolder(dir: string, maxElements: number): Promise<ImportResult> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort(naturalCompare);
  if (files.length === 0) {
    throw new DataFormatError(dir, `folder contains no image files (${IMAGE_EXTENSIONS.join(', ')})`);
  }
  // Pass 1: headers only, to check sizes and the total before decoding anything.
  const probes: Array<{ file: string; kind: ContentKind; probe: ProbedImage }> = [];
  let first: { file: string; width: number; height: number } | undefined;
  let items = 0;
  let C = 1;
  for (const name of files) {
    const file = join(dir, name);
    const bytes = await readBounded(file, maxElements);
    const kind = resolveKind(file, sniff(bytes.subarray(0, 4096)));
    if (!IMAGE_KINDS.has(kind)) throw new DataFormatError(file, `is ${describeKind(kind)}, not an image`);
    const probe = probeImage(bytes, kind, file);
    for (const [i, p] of probe.pages.entries()) {
      const label = probe.pages.length > 1 ? `${name} (page ${i})` : name;
      if (!first) first = { file: name, width: p.width, height: p.height };
      else sameSize(dir, label, first.file, first, p);
      C = Math.max(C, p.channels);
      items++;
    }
    checkElements(dir, `folder of ${items} images of ${first!.width}x${first!.height}`, items * C * first!.width * first!.height, maxElements);
    probes.push({ file, kind, probe });
  }
  const { width, height } = first!;
  const n = items * C * width * height;
  checkElements(dir, `folder of ${items} images of ${width}x${height}x${C}`, n, maxElements);
  // Pass 2: decode into the result, one file at a time.
  const data = new Float32Array(n);
  let k = 0;
  for (const { file, kind } of probes) {
    const pages = decodeImage(await readBounded(file, maxElements), kind, file);
    for (const img of pages) {
      // The file may have changed since it was probed.
      sameSize(dir, basename(file), first!.file, first!, img);
      if (k >= items || img.channels > C) throw new DataFormatError(file, 'changed while the folder was being read');
      promoteInto(data, k * C * width * height, img, C);
      k++;
    }
  }
  if (k !== items) throw new DataFormatError(dir, 'files changed while the folder was being read');
  refuseNonFinite(dir, data, [items, C, height, width], 'image data', F32_NOTE);
  const dtypes = [...new Set(probes.map((p) => p.probe.dtype))].join(', ');
  return {
    format: 'image-folder',
    path: dir,
    arrays: [{ name: basename(dir), data, shape: [items, C, height, width], sourceDtype: dtypes, sourceShape: [items, height, width, C] }],
  };
}

// ---------------------------------------------------------------------------------------------
// Files

/**
 * Read a whole file, refusing it first when it is larger than any importable array could need
 * (maxElements float64 values plus headers): nothing is read from an absurdly large file.
 */
async function readBounded(path: string, maxElements: number): Promise<Uint8Array> {
  const { size } = await stat(path);
  if (size === 0) throw new DataFormatError(path, 'file is empty');
  const limit = maxElements * 8 + 64 * 2 ** 20;
  if (size > limit) {
    throw new DataFormatError(path, `file of ${size} bytes is too large: arrays of at most ${maxElements} elements are imported`);
  }
  return readWholeFile(path);
}

async function readHead(path: string, n: number): Promise<Uint8Array> {
  const h = await open(path, 'r');
  try {
    const buf = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await h.read(buf, done, n - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } finally {
    await h.close();
  }
}

/** Decide the format from content and name; a contradiction between them is refused. */
function resolveKind(path: string, content: ContentKind): ContentKind {
  const ext = extname(path) || basename(path);
  const named = kindFromName(basename(path));
  if (content === 'empty') throw new DataFormatError(path, 'file is empty');
  if (named === null) {
    if (content === 'unknown') {
      throw new DataFormatError(path, 'unrecognised file format: not PNG, JPEG, TIFF, BMP, NPY, NPZ, MAT, IDX or CSV');
    }
    return content;
  }
  if (contentMatchesName(content, named)) return content;
  if (content === 'unknown' || (content === 'text' && named !== 'csv' && !IMAGE_KINDS.has(named as ContentKind))) {
    // Nothing recognisable: let the reader for the named format say precisely what is wrong.
    return nameToContent(named);
  }
  throw new DataFormatError(
    path,
    `content does not match the extension: the file is ${describeKind(content)}, but its extension '${ext}' says ${describeKind(named)}`,
  );
}

function nameToContent(n: NameKind): ContentKind {
  return n === 'npz' ? 'zip' : n === 'csv' ? 'text' : n;
}

function npzOrMatDefault<T extends { name: string }>(items: T[], numeric: (t: T) => boolean): T | undefined {
  const nums = items.filter(numeric);
  return nums.find((t) => !isLabelName(t.name)) ?? nums[0];
}

async function importNpy(path: string, maxElements: number): Promise<ImportResult> {
  const h = await readNpyHeaderFile(path);
  nonEmpty(path, 'array', h.shape);
  checkElements(path, `array of shape ${formatShape(h.shape)}`, h.size, maxElements);
  const arr = await readNpyFile(path);
  const f = ndToFloat32(arr, path, 'array');
  const { shape, data } = arrayToNchw(f, arr.shape, path, 'array');
  return { format: 'npy', path, arrays: [{ name: basename(path, extname(path)), data, shape, sourceDtype: arr.dtype, sourceShape: arr.shape.slice() }] };
}

function importNpz(bytes: Uint8Array, path: string, o: ImportOptions, maxElements: number): ImportResult {
  const list = listNpz(bytes, path);
  if (list.length === 0) throw new DataFormatError(path, '.npz archive holds no arrays');
  const available = list.map((m) => m.key);
  const pick = o.array !== undefined ? list.find((m) => m.key === o.array) : npzOrMatDefault(list.map((m) => ({ ...m, name: m.key })), () => true);
  if (!pick) {
    throw new DataFormatError(path, `.npz has no array named ${JSON.stringify(o.array)} (it holds ${available.map((k) => JSON.stringify(k)).join(', ')})`);
  }
  const what = `array '${pick.key}'`;
  nonEmpty(path, what, pick.header.shape);
  checkElements(path, `${what} of shape ${formatShape(pick.header.shape)}`, pick.header.size, maxElements);
  const arr = readNpzArray(bytes, pick.key, path);
  const f = ndToFloat32(arr, path, what);
  const { shape, data } = arrayToNchw(f, arr.shape, path, what);
  const out: ImportedArray = { name: pick.key, data, shape, sourceDtype: arr.dtype, sourceShape: arr.shape.slice() };
  for (const cand of labelCandidates(pick.key)) {
    const m = list.find((x) => x.key === cand && x.key !== pick.key);
    if (!m) continue;
    const s = m.header.shape;
    const intLike = m.header.dtype !== 'float32' && m.header.dtype !== 'float64' && m.header.dtype !== 'bool';
    if (!intLike || !(s.length === 1 || (s.length === 2 && s[1] === 1)) || s[0] !== shape[0]) continue;
    const labels = toLabels(readNpzArray(bytes, m.key, path).data as ArrayLike<number | bigint>, shape[0]);
    if (labels) {
      out.labels = labels;
      break;
    }
  }
  return { format: 'npz', path, arrays: [out], available };
}

function importMat(bytes: Uint8Array, path: string, v73: boolean, o: ImportOptions, maxElements: number): ImportResult {
  const infos: MatVariableInfo[] = v73 ? listMat73(bytes, path) : listMat(bytes, path);
  if (infos.length === 0) throw new DataFormatError(path, 'MAT-file holds no variables');
  const available = infos.filter((i) => i.numeric).map((i) => i.name);
  const name = o.array ?? npzOrMatDefault(infos, (i) => i.numeric)?.name;
  const read = (n: string | undefined): MatArray =>
    v73 ? readMat73Variable(bytes, path, n, { maxElements }) : readMatVariable(bytes, path, n, { maxElements });
  const m = read(name);
  const what = `variable '${m.name}'`;
  refuseNonFinite(path, m.data, m.shape, what, F32_NOTE);
  const { shape, data } = arrayToNchw(m.data, m.shape, path, what);
  const out: ImportedArray = { name: m.name, data, shape, sourceDtype: m.class, sourceShape: m.shape.slice() };
  for (const cand of labelCandidates(m.name)) {
    const info = infos.find((i) => i.name === cand && i.name !== m.name && i.numeric);
    if (!info || info.dims.filter((d) => d !== 1).length > 1 || info.dims.reduce((a, b) => a * b, 1) !== shape[0]) continue;
    const labels = toLabels(read(cand).data, shape[0]);
    if (labels) {
      out.labels = labels;
      break;
    }
  }
  return { format: 'mat', path, arrays: [out], available };
}

async function importIdx(bytes: Uint8Array, path: string, maxElements: number): Promise<ImportResult> {
  const h = readIdxHeader(bytes, path);
  const s = h.shape;
  if (s.length === 1) {
    throw new DataFormatError(
      path,
      `is an IDX label file (1-D, ${s[0]} items), not data: import the images file; labels beside it (…-labels-idx1-ubyte) are attached automatically`,
    );
  }
  if (s.length > 4) throw new DataFormatError(path, `IDX array has ${s.length} dimensions ${formatShape(s)}; at most 4 are supported`);
  nonEmpty(path, 'IDX array', s);
  checkElements(path, `IDX array of shape ${formatShape(s)}`, s.reduce((a, b) => a * b, 1), maxElements);
  const arr = readIdx(bytes, path);
  let f = ndToFloat32(arr, path, 'IDX data');
  if (arr.dtype === 'uint8') for (let i = 0; i < f.length; i++) f[i] = f[i]! / 255;
  let shape: Shape4;
  if (s.length === 2) shape = [s[0]!, 1, 1, s[1]!];
  else if (s.length === 3) shape = [s[0]!, 1, s[1]!, s[2]!];
  else if (s[3]! <= 4 && s[1]! > 4) {
    const [n, hh, w, c] = s as [number, number, number, number];
    const out = new Float32Array(f.length);
    const item = hh * w * c;
    for (let i = 0; i < n; i++) out.set(hwcToChw(f.subarray(i * item, (i + 1) * item), hh, w, c), i * item);
    f = out;
    shape = [n, c, hh, w];
  } else shape = s as Shape4;
  const result: ImportedArray = { name: basename(path), data: f, shape, sourceDtype: arr.dtype, sourceShape: s.slice() };
  const labels = await siblingLabels(path, shape[0], maxElements);
  if (labels) result.labels = labels;
  return { format: 'idx', path, arrays: [result] };
}

/** MNIST naming: train-images-idx3-ubyte(.gz) ↔ train-labels-idx1-ubyte(.gz) (also with '.' before idx). */
async function siblingLabels(path: string, n: number, maxElements: number): Promise<Int32Array | undefined> {
  const base = basename(path);
  if (!/images/.test(base)) return undefined;
  const candidates = [base.replace('images', 'labels').replace(/idx\d/, 'idx1')];
  if (candidates[0]!.endsWith('.gz')) candidates.push(candidates[0]!.slice(0, -3));
  else candidates.push(`${candidates[0]}.gz`);
  for (const c of candidates) {
    const file = join(dirname(path), c);
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) continue;
    const bytes = await readBounded(file, maxElements);
    const h = readIdxHeader(bytes, file);
    if (h.shape.length !== 1 || h.shape[0] !== n) {
      throw new DataFormatError(file, `label file beside the images has shape ${formatShape(h.shape)}, expected (${n},)`);
    }
    const labels = toLabels(readIdx(bytes, file).data as ArrayLike<number | bigint>, n);
    if (!labels) throw new DataFormatError(file, 'label file holds values that are not integers');
    return labels;
  }
  return undefined;
}

function importCsv(bytes: Uint8Array, path: string, maxElements: number): ImportResult {
  const ext = extname(path).toLowerCase();
  const t = readNumericTable(bytes, path, { maxElements, ...(ext === '.tsv' || ext === '.tab' ? { delimiter: '\t' as const } : {}) });
  return {
    format: 'csv',
    path,
    arrays: [{ name: basename(path, extname(path)), data: t.data, shape: [t.rows, 1, 1, t.cols], sourceDtype: 'text', sourceShape: [t.rows, t.cols] }],
  };
}

/** Import one file, or a folder of images, as float32 [N, C, H, W]; refuses anything malformed with a DataFormatError. */
export async function importData(path: string, o: ImportOptions = {}): Promise<ImportResult> {
  const maxElements = o.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (!(Number.isSafeInteger(maxElements) && maxElements > 0)) throw new RangeError(`maxElements must be a positive integer, got ${maxElements}`);
  const st = await stat(path);
  if (st.isDirectory()) return importFolder(path, maxElements);
  if (!st.isFile()) throw new DataFormatError(path, 'is neither a regular file nor a folder');
  if (st.size === 0) throw new DataFormatError(path, 'file is empty');
  const kind = resolveKind(path, sniff(await readHead(path, 4096)));
  if (kind === 'npy') return importNpy(path, maxElements);
  if (kind === 'hdf5') {
    throw new DataFormatError(path, 'is an HDF5 file without a MATLAB header; only MATLAB v7.3 .mat files among HDF5 files are supported');
  }
  const bytes = await readBounded(path, maxElements);
  switch (kind) {
    case 'png':
    case 'jpeg':
    case 'tiff':
    case 'bmp':
      return { format: 'image', path, arrays: [importImage(bytes, kind, path, maxElements)] };
    case 'zip':
      return importNpz(bytes, path, o, maxElements);
    case 'mat':
    case 'mat73':
      return importMat(bytes, path, kind === 'mat73', o, maxElements);
    case 'idx':
    case 'gzip':
      return importIdx(bytes, path, maxElements);
    case 'text':
      return importCsv(bytes, path, maxElements);
    default:
      throw new DataFormatError(path, 'unrecognised file format: not PNG, JPEG, TIFF, BMP, NPY, NPZ, MAT, IDX or CSV');
  }
}
