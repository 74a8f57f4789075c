/**
 * Windows BMP reading: 1/4/8-bit palette, 16-bit, 24-bit and 32-bit images, uncompressed or with
 * bit-field masks, bottom-up or top-down.
 *
 * This is our own decoder rather than bmp-ts's (which the tests use as an encoder and reference):
 * bmp-ts ignores the pixel-data offset in the header and reads from wherever the palette ends,
 * reads past the end of the file on truncated data, and stops after the first row of a 4-bit
 * image of odd width. Here the header is validated and the whole pixel array is checked to lie
 * inside the file before anything is allocated.
 */
import { DataFormatError, UNNAMED_SOURCE } from './errors';
import type { ColorImage } from './png';

/** Images with more pixels than this are refused before decoding. */
export const MAX_BMP_PIXELS = 2 ** 28;

export interface BmpInfo {
  width: number;
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  /** Channels of the decoded image: 1 for a gray palette, 3 for colour, 4 with an alpha mask. */
  channels: 1 | 3 | 4;
  dataOffset: number;
  rowBytes: number;
  palette?: Uint8Array; // r, g, b triples
  masks?: [number, number, number, number];
}

const INFO_HEADERS = [40, 52, 56, 108, 124];

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}
function i32(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return { shift, max };
}

/** Validate a BMP's headers, palette and pixel-array extent; allocates nothing proportional to the image. */
export function probeBmp(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): BmpInfo {
  const fail = (problem: string): never => {
    throw new DataFormatError(sourceName, problem);
  };
  if (bytes.length < 2 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) fail("not a BMP file: bad signature (it does not start with 'BM')");
  if (bytes.length < 26) fail(`truncated BMP: only ${bytes.length} bytes`);
  const dataOffset = u32(bytes, 10);
  const headerSize = u32(bytes, 14);
  let width: number;
  let height: number;
  let bpp: number;
  let compression = 0;
  let colorsUsed = 0;
  let paletteEntry = 4;
  if (headerSize === 12) {
    width = u16(bytes, 18);
    height = u16(bytes, 20);
    if (u16(bytes, 22) !== 1) fail(`invalid BMP: ${u16(bytes, 22)} colour planes (must be 1)`);
    bpp = u16(bytes, 24);
    paletteEntry = 3;
  } else if (INFO_HEADERS.includes(headerSize)) {
    if (bytes.length < 14 + headerSize) fail(`truncated BMP: its ${headerSize}-byte info header runs past the end of the file`);
    width = i32(bytes, 18);
    height = i32(bytes, 22);
    if (u16(bytes, 26) !== 1) fail(`invalid BMP: ${u16(bytes, 26)} colour planes (must be 1)`);
    bpp = u16(bytes, 28);
    compression = u32(bytes, 30);
    colorsUsed = u32(bytes, 46);
  } else {
    return fail(`unsupported BMP: info header of ${headerSize} bytes (known: 12, 40, 52, 56, 108, 124)`);
  }
  if (width <= 0) fail(`invalid BMP: width ${width} (must be positive)`);
  if (height === 0 || height === -(2 ** 31)) fail(`invalid BMP: height ${height}`);
  const topDown = height < 0;
  const h = Math.abs(height);
  if (width * h > MAX_BMP_PIXELS) {
    fail(`BMP is ${width}x${h} = ${width * h} pixels; more than 2^28 (${MAX_BMP_PIXELS}) are refused`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) fail(`invalid BMP: ${bpp} bits per pixel`);
  if (compression === 1 || compression === 2) fail(`unsupported BMP: RLE${compression === 1 ? 8 : 4} compression is not supported`);
  if (compression === 4 || compression === 5) fail(`unsupported BMP: embedded ${compression === 4 ? 'JPEG' : 'PNG'} data is not supported`);
  if (compression !== 0 && compression !== 3 && compression !== 6) fail(`invalid BMP: unknown compression ${compression}`);
  if (compression !== 0 && bpp !== 16 && bpp !== 32) fail(`invalid BMP: bit-field compression with ${bpp} bits per pixel`);
  if (topDown && compression !== 0 && compression !== 3 && compression !== 6) fail('invalid BMP: a top-down image must be uncompressed');

  const info: BmpInfo = { width, height: h, topDown, bitsPerPixel: bpp, channels: 3, dataOffset, rowBytes: Math.floor((bpp * width + 31) / 32) * 4 };
  let p = 14 + headerSize;
  if (bpp === 16 || bpp === 32) {
    let masks: [number, number, number, number];
    if (compression === 0) {
      masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0xff00, 0xff, 0];
    } else {
      // Masks follow a 40-byte header; larger headers hold them (and the alpha mask) inside.
      const at = headerSize === 40 ? p : 54;
      const n = headerSize === 40 ? (compression === 6 ? 4 : 3) : headerSize >= 56 ? 4 : 3;
      if (at + 4 * n > bytes.length) fail('truncated BMP: the colour masks run past the end of the file');
      masks = [u32(bytes, at), u32(bytes, at + 4), u32(bytes, at + 8), n === 4 ? u32(bytes, at + 12) : 0];
      if (headerSize === 40) p += 4 * n;
    }
    for (const m of masks) {
      const { max } = maskShift(m);
      if ((max & (max + 1)) !== 0 || max > 0xffff) fail(`invalid BMP: colour mask 0x${m.toString(16)} is not one run of at most 16 bits`);
    }
    if (masks.slice(0, 3).some((m) => m === 0)) fail('invalid BMP: a colour mask is zero');
    info.masks = masks;
    info.channels = masks[3] !== 0 ? 4 : 3;
  } else if (bpp <= 8) {
    const max = 2 ** bpp;
    const n = colorsUsed === 0 ? max : colorsUsed;
    if (n > max) fail(`invalid BMP: palette of ${n} colours for ${bpp}-bit pixels (at most ${max})`);
    if (p + n * paletteEntry > bytes.length) fail(`truncated BMP: the ${n}-colour palette runs past the end of the file`);
    const palette = new Uint8Array(3 * n);
    let gray = true;
    for (let i = 0; i < n; i++) {
      const q = p + i * paletteEntry;
      palette[3 * i] = bytes[q + 2]!;
      palette[3 * i + 1] = bytes[q + 1]!;
      palette[3 * i + 2] = bytes[q]!;
      if (bytes[q] !== bytes[q + 1] || bytes[q] !== bytes[q + 2]) gray = false;
    }
    info.palette = palette;
    info.channels = gray ? 1 : 3;
    p += n * paletteEntry;
  }
  if (dataOffset < p) fail(`invalid BMP: pixel data offset ${dataOffset} points into the headers (they end at ${p})`);
  const need = info.rowBytes * h;
  if (dataOffset + need > bytes.length) {
    fail(`truncated BMP: ${width}x${h} pixels at ${bpp} bits need ${need} bytes from offset ${dataOffset}, but the file has ${bytes.length} bytes`);
  }
  return info;
}

/** Decode a BMP into planes [C, H, W] with values in [0, 1]. */
export function readBmp(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): ColorImage {
  const info = probeBmp(bytes, sourceName);
  const { width, height, bitsPerPixel: bpp, channels: C } = info;
  const plane = width * height;
  const out = new Float32Array(C * plane);
  const masks = info.masks?.map(maskShift);
  const pal = info.palette;
  const colours = pal ? pal.length / 3 : 0;
  for (let row = 0; row < height; row++) {
    const y = info.topDown ? row : height - 1 - row;
    const start = info.dataOffset + row * info.rowBytes;
    for (let x = 0; x < width; x++) {
      const o = y * width + x;
      if (pal) {
        const bit = x * bpp;
        const idx = bpp === 8 ? bytes[start + x]! : (bytes[start + (bit >> 3)]! >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (idx >= colours) {
          throw new DataFormatError(sourceName, `invalid BMP: pixel (${x}, ${y}) uses colour ${idx} of a ${colours}-colour palette`);
        }
        for (let c = 0; c < C; c++) out[c * plane + o] = pal[3 * idx + c]! / 255;
      } else if (bpp === 24) {
        const q = start + 3 * x;
        out[o] = bytes[q + 2]! / 255;
        out[plane + o] = bytes[q + 1]! / 255;
        out[2 * plane + o] = bytes[q]! / 255;
      } else {
        const px = bpp === 16 ? u16(bytes, start + 2 * x) : u32(bytes, start + 4 * x);
        for (let c = 0; c < C; c++) {
          const m = masks![c]!;
          out[c * plane + o] = ((px >>> m.shift) & m.max) / m.max;
        }
      }
    }
  }
  return { height, width, channels: C, data: out };
}
