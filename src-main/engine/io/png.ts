import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { crc32 } from './crc32';
import { DataFormatError, describeError, UNNAMED_SOURCE } from './errors';

/** A single-channel image, row-major, values nominally in [0, 1]. */
export interface GrayImage {
  shape: [number, number];
  data: Float32Array;
}

/** A decoded PNG as planes: `data[c * height * width + y * width + x]`, values in [0, 1]. */
export interface ColorImage {
  height: number;
  width: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette images count as RGB, or RGBA with transparency). */
  channels: 1 | 2 | 3 | 4;
  data: Float32Array;
}

/** Images with more pixels than this are refused before decoding (the RGBA decode alone would be 512 MiB). */
export const MAX_PNG_PIXELS = 2 ** 27;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const SAMPLES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7: Array<[number, number, number, number]> = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function be32(b: Uint8Array, o: number): number {
  return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/**
 * Checks pngjs does not make: a sane IHDR and a bounded pixel count before anything is allocated,
 * and image data that inflates to exactly the size the IHDR implies. pngjs itself inflates
 * interlaced images without an output limit, and decodes corrupt or short image data to black
 * pixels instead of failing, so the data is trial-inflated here under a hard cap.
 */
function preflight(bytes: Uint8Array, source: string): void {
  if (bytes.length < 8 || SIGNATURE.some((v, i) => bytes[i] !== v)) {
    throw new DataFormatError(source, 'not a PNG file: bad signature');
  }
  if (bytes.length < 33) throw new DataFormatError(source, `truncated PNG: only ${bytes.length} bytes`);
  if (be32(bytes, 8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw new DataFormatError(source, 'invalid PNG: the first chunk is not a 13-byte IHDR');
  }
  const width = be32(bytes, 16);
  const height = be32(bytes, 20);
  const depth = bytes[24]!;
  const colorType = bytes[25]!;
  const interlace = bytes[28]!;
  if (width === 0 || height === 0) throw new DataFormatError(source, `invalid PNG: image is ${width}x${height}`);
  if (width * height > MAX_PNG_PIXELS) {
    throw new DataFormatError(
      source,
      `PNG is ${width}x${height} = ${width * height} pixels; more than 2^27 (${MAX_PNG_PIXELS}) are refused`,
    );
  }
  const samples = SAMPLES_PER_PIXEL[colorType];
  if (samples === undefined || ![1, 2, 4, 8, 16].includes(depth)) {
    throw new DataFormatError(source, `invalid PNG: unsupported colour type ${colorType} / bit depth ${depth}`);
  }
  if (interlace > 1) throw new DataFormatError(source, `invalid PNG: unknown interlace method ${interlace}`);

  // Filtered scanlines: one filter byte per row plus the packed samples, per Adam7 pass if interlaced.
  const passes: Array<[number, number, number, number]> = interlace ? ADAM7 : [[0, 0, 1, 1]];
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const h = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    if (w > 0 && h > 0) expected += h * (1 + Math.ceil((w * samples * depth) / 8));
  }
  const parts: Uint8Array[] = [];
  for (let p = 8; p + 8 <= bytes.length; ) {
    const len = be32(bytes, p);
    const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
    if (p + 12 + len > bytes.length) {
      throw new DataFormatError(source, `truncated PNG: chunk '${type.replace(/[^ -~]/g, '?')}' runs past the end of the file`);
    }
    // pngjs detects bad CRCs too but then reports a misleading 'unrecognised content' error.
    if (crc32(bytes.subarray(p + 4, p + 8 + len)) !== be32(bytes, p + 8 + len)) {
      throw new DataFormatError(source, `invalid PNG: chunk '${type.replace(/[^ -~]/g, '?')}' fails its CRC check (corrupt file)`);
    }
    if (type === 'IDAT') parts.push(bytes.subarray(p + 8, p + 8 + len));
    if (type === 'IEND') break;
    p += 12 + len;
  }
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.concat(parts), { maxOutputLength: expected });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataFormatError(source, `invalid PNG: image data expands beyond the ${expected} bytes its header implies`);
    }
    throw new DataFormatError(source, `invalid PNG: corrupt or missing image data (${describeError(e)})`, { cause: e });
  }
  if (inflated.length !== expected) {
    throw new DataFormatError(source, `invalid PNG: image data holds ${inflated.length} bytes, its header implies ${expected}`);
  }
}

interface Decoded {
  width: number;
  height: number;
  color: boolean;
  alpha: boolean;
  /** RGBA samples, 8 or 16 bit. */
  rgba: ArrayLike<number>;
  maxValue: number;
}

function decode(bytes: Uint8Array, source: string): Decoded {
  preflight(bytes, source);
  let png: PNG & { depth: number; color: boolean; alpha: boolean; palette: boolean };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (e) {
    throw new DataFormatError(source, `invalid PNG: ${describeError(e)}`, { cause: e });
  }
  // With skipRescale, samples keep their native range; palette entries are always 8-bit.
  const maxValue = png.palette ? 255 : 2 ** png.depth - 1;
  return {
    width: png.width,
    height: png.height,
    color: png.color,
    alpha: png.alpha,
    rgba: png.data as ArrayLike<number>,
    maxValue,
  };
}

/** Decode a PNG into planes [C, H, W] with values in [0, 1]. */
export function readPng(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): ColorImage {
  const d = decode(bytes, sourceName);
  const offsets = d.color ? [0, 1, 2] : [0];
  if (d.alpha) offsets.push(3);
  const plane = d.width * d.height;
  const data = new Float32Array(offsets.length * plane);
  const scale = 1 / d.maxValue;
  offsets.forEach((o, c) => {
    for (let i = 0; i < plane; i++) data[c * plane + i] = d.rgba[4 * i + o]! * scale;
  });
  return { height: d.height, width: d.width, channels: offsets.length as 1 | 2 | 3 | 4, data };
}

/**
 * Decode a PNG as one gray plane in [0, 1]: colour via ITU-R BT.601 luma, alpha ignored. (Pixels
 * matching a tRNS colour key come back as 0, because pngjs blanks them while decoding.)
 */
export function readPngAsGray(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): GrayImage {
  const d = decode(bytes, sourceName);
  const n = d.width * d.height;
  const data = new Float32Array(n);
  const px = d.rgba;
  const scale = 1 / d.maxValue;
  if (d.color) {
    for (let i = 0; i < n; i++) {
      data[i] = (0.299 * px[4 * i]! + 0.587 * px[4 * i + 1]! + 0.114 * px[4 * i + 2]!) * scale;
    }
  } else {
    for (let i = 0; i < n; i++) data[i] = px[4 * i]! * scale;
  }
  return { shape: [d.height, d.width], data };
}

export type GrayRange = { min: number; max: number } | 'auto';

function finiteRange(data: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // NaN never wins a comparison, but ±Infinity can; a range with infinite ends would map all
  // finite values to one grey, so treat an all-non-finite image as [0, 1].
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = Infinity;
    max = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (Number.isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (min > max) return { min: 0, max: 1 };
  }
  return { min, max };
}

/**
 * Encode row-major gray values as an 8-bit grayscale PNG: `range.min` maps to 0 and `range.max`
 * to 255, values outside are clipped, NaN becomes 0. With 'auto' the data's own finite min/max
 * is used; a constant image comes out black.
 */
export function writeGrayPng(data: Float32Array, height: number, width: number, range: GrayRange = 'auto'): Uint8Array {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`PNG size must be positive integers, got ${height}x${width}`);
  }
  if (data.length !== height * width) {
    throw new RangeError(`expected ${height * width} values for a ${height}x${width} image, got ${data.length}`);
  }
  const { min, max } = range === 'auto' ? finiteRange(data) : range;
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError('range min and max must be finite');
  const scale = max > min ? 255 / (max - min) : 0;
  const pixels = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round((data[i]! - min) * scale);
    pixels[i] = v > 255 ? 255 : v > 0 ? v : 0; // NaN fails both tests and lands on 0
  }
  const png = new PNG({ colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  png.width = width;
  png.height = height;
  png.data = pixels;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
}

export interface TileOptions {
  /** Stretch each tile to [0, 1] using its own min/max (a constant tile becomes 0.5). */
  normalize?: boolean;
  /** Value of the padding and of unused grid cells. Default 0. */
  padValue?: number;
}

/**
 * Lay out `images` (each h*w, row-major) in a grid of `cols` columns with `pad` pixels between
 * tiles and around the border, e.g. to show dictionary atoms.
 */
export function tileGrayImages(
  images: readonly Float32Array[],
  h: number,
  w: number,
  cols: number,
  pad: number,
  options: TileOptions = {},
): GrayImage {
  for (const [name, v, lo] of [['h', h, 1], ['w', w, 1], ['cols', cols, 1], ['pad', pad, 0]] as const) {
    if (!Number.isInteger(v) || v < lo) throw new RangeError(`${name} must be an integer >= ${lo}, got ${v}`);
  }
  images.forEach((img, i) => {
    if (img.length !== h * w) throw new RangeError(`image ${i} has ${img.length} values, expected ${h}x${w} = ${h * w}`);
  });
  if (images.length === 0) return { shape: [0, 0], data: new Float32Array(0) };
  const c = Math.min(cols, images.length);
  const rows = Math.ceil(images.length / c);
  const H = rows * (h + pad) + pad;
  const W = c * (w + pad) + pad;
  const out = new Float32Array(H * W).fill(options.padValue ?? 0);
  images.forEach((img, k) => {
    let offset = 0;
    let scale = 1;
    let constant = false;
    if (options.normalize) {
      const { min, max } = finiteRange(img);
      offset = min;
      constant = !(max > min);
      scale = constant ? 0 : 1 / (max - min);
    }
    const top = pad + Math.floor(k / c) * (h + pad);
    const left = pad + (k % c) * (w + pad);
    for (let y = 0; y < h; y++) {
      const row = (top + y) * W + left;
      for (let x = 0; x < w; x++) {
        const v = img[y * w + x]!;
        out[row + x] = !options.normalize ? v : constant ? 0.5 : (v - offset) * scale;
      }
    }
  });
  return { shape: [H, W], data: out };
}

/**
 * Size and channel count of a PNG from its IHDR (and whether a tRNS chunk adds alpha), without
 * decoding: lets a caller refuse an image by its size before anything is allocated.
 */
export function probePng(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): { width: number; height: number; channels: 1 | 2 | 3 | 4; bitDepth: number } {
  if (bytes.length < 8 || SIGNATURE.some((v, i) => bytes[i] !== v)) {
    throw new DataFormatError(sourceName, 'not a PNG file: bad signature');
  }
  if (bytes.length < 33) throw new DataFormatError(sourceName, `truncated PNG: only ${bytes.length} bytes`);
  if (be32(bytes, 8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw new DataFormatError(sourceName, 'invalid PNG: the first chunk is not a 13-byte IHDR');
  }
  const width = be32(bytes, 16);
  const height = be32(bytes, 20);
  const colorType = bytes[25]!;
  let channels = ({ 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType] ?? 4;
  if (channels === 1 || channels === 3) {
    for (let p = 33; p + 8 <= bytes.length; ) {
      const len = be32(bytes, p);
      const type = String.fromCharCode(...bytes.subarray(p + 4, p + 8));
      if (type === 'tRNS') channels++;
      if (type === 'tRNS' || type === 'IDAT' || type === 'IEND') break;
      p += 12 + len;
    }
  }
  return { width, height, channels: channels as 1 | 2 | 3 | 4, bitDepth: bytes[24]! };
}
