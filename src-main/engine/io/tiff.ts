/**
 * Baseline TIFF reading (classic TIFF, little- or big-endian, single- and multi-page): 1- to 64-bit
 * gray, RGB(A) and palette images, strips or tiles, uncompressed, LZW, Deflate or PackBits, with
 * the horizontal predictor.
 *
 * This is our own decoder rather than utif2's: utif2 follows IFD chains and sub-IFDs without loop
 * detection, materialises tag arrays of any declared length, inflates Deflate strips without an
 * output limit and can spin forever on an LZW stream that overflows its table, so every one of those
 * is a way for a hostile file to hang or crash the engine. Here every IFD, tag array, strip and
 * tile is bounds-checked against the file, IFD chains are checked for loops, pixel counts are
 * bounded before anything is allocated, and every decompressor writes into a buffer of exactly the
 * size the header implies. (utif2 serves as an independent reference in the tests.)
 */
import { DataFormatError, describeError, UNNAMED_SOURCE } from './errors';
import { inflateCapped } from './inflate';
import type { ColorImage } from './png';

/** Pages with more pixels than this are refused before decoding. */
export const MAX_TIFF_PIXELS = 2 ** 28;
/** Files with more pages (IFDs) than this are refused. */
export const MAX_TIFF_PAGES = 10000;

export type TiffSampleType = 'uint' | 'int' | 'float';

export interface TiffPage {
  /** Position in the IFD chain, from 0. */
  index: number;
  width: number;
  height: number;
  samplesPerPixel: number;
  bitsPerSample: number;
  sampleType: TiffSampleType;
  photometric: number;
  compression: number;
  predictor: number;
  /** Channels of the decoded image: 1 (gray), 3 (RGB or palette) or 4 (RGBA); gray+alpha drops alpha. */
  channels: 1 | 3 | 4;
  /** NewSubfileType bit 0: a reduced-resolution copy (a thumbnail) of another page. */
  reducedResolution: boolean;
  /** Strips (tileWidth = width) or tiles: the blocks, their offsets and byte counts. */
  tileWidth: number;
  tileHeight: number;
  offsets: number[];
  byteCounts: number[];
  colorMap?: number[];
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };

const TAG_NAMES: Record<number, string> = {
  254: 'NewSubfileType',
  256: 'ImageWidth',
  257: 'ImageLength',
  258: 'BitsPerSample',
  259: 'Compression',
  262: 'PhotometricInterpretation',
  266: 'FillOrder',
  273: 'StripOffsets',
  277: 'SamplesPerPixel',
  278: 'RowsPerStrip',
  279: 'StripByteCounts',
  284: 'PlanarConfiguration',
  317: 'Predictor',
  320: 'ColorMap',
  322: 'TileWidth',
  323: 'TileLength',
  324: 'TileOffsets',
  325: 'TileByteCounts',
  339: 'SampleFormat',
};

const COMPRESSION_NAMES: Record<number, string> = {
  2: 'CCITT modified Huffman',
  3: 'CCITT Group 3 fax',
  4: 'CCITT Group 4 fax',
  6: 'old-style JPEG',
  7: 'JPEG',
  9: 'JBIG',
  34661: 'JBIG',
  34712: 'JPEG 2000',
  34887: 'LERC',
  34925: 'LZMA',
  50000: 'Zstandard',
  50001: 'WebP',
};

interface Entry {
  type: number;
  count: number;
  /** Absolute position of the values (inline in the entry when they fit in 4 bytes). */
  pos: number;
}

class Reader {
  constructor(
    readonly b: Uint8Array,
    readonly le: boolean,
    readonly source: string,
  ) {}
  u16(o: number): number {
    const b = this.b;
    return this.le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
  }
  u32(o: number): number {
    const b = this.b;
    return this.le
      ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000
      : b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
  }
  fail(problem: string): never {
    throw new DataFormatError(this.source, problem);
  }
}

function tagName(tag: number): string {
  return TAG_NAMES[tag] ? `${TAG_NAMES[tag]} (${tag})` : `tag ${tag}`;
}

/** Read the integer values of `tag`; the values are bounds-checked against the file first. */
function ints(r: Reader, entries: Map<number, Entry>, tag: number, page: number): number[] | undefined {
  const e = entries.get(tag);
  if (!e) return undefined;
  const size = TYPE_SIZE[e.type]!;
  if (e.type !== 1 && e.type !== 3 && e.type !== 4) {
    r.fail(`page ${page}: ${tagName(tag)} has field type ${e.type}, expected BYTE, SHORT or LONG`);
  }
  if (e.count === 0) r.fail(`page ${page}: ${tagName(tag)} has no values`);
  if (e.pos + e.count * size > r.b.length) {
    r.fail(
      `page ${page}: the ${e.count} values of ${tagName(tag)} lie outside the file (offset ${e.pos}, file size ${r.b.length} bytes)`,
    );
  }
  const out = new Array<number>(e.count);
  for (let i = 0; i < e.count; i++) {
    const o = e.pos + i * size;
    out[i] = size === 1 ? r.b[o]! : size === 2 ? r.u16(o) : r.u32(o);
  }
  return out;
}

function one(r: Reader, entries: Map<number, Entry>, tag: number, page: number): number | undefined {
  const v = ints(r, entries, tag, page);
  return v?.[0];
}

function readHeader(bytes: Uint8Array, source: string): Reader {
  if (bytes.length < 8) throw new DataFormatError(source, `truncated TIFF: only ${bytes.length} bytes`);
  const order = String.fromCharCode(bytes[0]!, bytes[1]!);
  if (order !== 'II' && order !== 'MM') throw new DataFormatError(source, 'not a TIFF file: bad byte-order mark');
  const r = new Reader(bytes, order === 'II', source);
  const magic = r.u16(2);
  if (magic === 43) r.fail('BigTIFF files are not supported');
  if (magic !== 42) r.fail(`not a TIFF file: bad magic number ${magic} (expected 42)`);
  return r;
}

function parsePage(r: Reader, entries: Map<number, Entry>, index: number): TiffPage {
  const width = one(r, entries, 256, index);
  const height = one(r, entries, 257, index);
  if (width === undefined || height === undefined) r.fail(`page ${index} has no ImageWidth/ImageLength (not an image)`);
  if (width === 0 || height === 0) r.fail(`page ${index} is ${width}x${height} pixels`);
  if (width * height > MAX_TIFF_PIXELS) {
    r.fail(`page ${index} is ${width}x${height} = ${width * height} pixels; more than 2^28 (${MAX_TIFF_PIXELS}) are refused`);
  }
  const spp = one(r, entries, 277, index) ?? 1;
  if (spp < 1 || spp > 4) r.fail(`page ${index} has ${spp} samples per pixel (1 to 4 are supported)`);
  const bitsList = ints(r, entries, 258, index) ?? [1];
  const bits = bitsList[0]!;
  if (bitsList.some((b) => b !== bits)) r.fail(`page ${index} has differing bits per sample (${bitsList.slice(0, 4).join(', ')})`);
  if (bitsList.length !== 1 && bitsList.length !== spp) {
    r.fail(`page ${index}: BitsPerSample has ${bitsList.length} values for ${spp} samples per pixel`);
  }
  const format = one(r, entries, 339, index) ?? 1;
  const sampleType: TiffSampleType | undefined = format === 1 ? 'uint' : format === 2 ? 'int' : format === 3 ? 'float' : undefined;
  if (!sampleType) r.fail(`page ${index} has unsupported SampleFormat ${format}`);
  const okBits = sampleType === 'float' ? [32, 64] : [1, 2, 4, 8, 16, 32];
  if (!okBits.includes(bits)) r.fail(`page ${index}: ${bits}-bit ${sampleType} samples are not supported`);
  if (bits < 8 && spp !== 1) r.fail(`page ${index}: ${bits}-bit samples with ${spp} samples per pixel are not supported`);
  const compression = one(r, entries, 259, index) ?? 1;
  if (![1, 5, 8, 32946, 32773].includes(compression)) {
    const name = COMPRESSION_NAMES[compression];
    r.fail(
      `page ${index} uses ${name ? `${name} compression (${compression})` : `unknown compression ${compression}`}; ` +
        'supported: none, LZW, Deflate, PackBits',
    );
  }
  const photometric = one(r, entries, 262, index) ?? (spp >= 3 ? 2 : 1);
  const planar = one(r, entries, 284, index) ?? 1;
  if (planar !== 1 && spp > 1) r.fail(`page ${index} stores its samples in separate planes (PlanarConfiguration ${planar}), which is not supported`);
  const predictor = one(r, entries, 317, index) ?? 1;
  if (predictor !== 1 && predictor !== 2) r.fail(`page ${index} uses predictor ${predictor} (only none and horizontal are supported)`);
  if (predictor === 2 && (sampleType === 'float' || bits < 8)) r.fail(`page ${index}: horizontal predictor with ${bits}-bit ${sampleType} samples`);
  if ((one(r, entries, 266, index) ?? 1) !== 1) r.fail(`page ${index} uses FillOrder 2 (reversed bits), which is not supported`);

  let channels: 1 | 3 | 4;
  let colorMap: number[] | undefined;
  if (photometric === 0 || photometric === 1) {
    if (spp > 2) r.fail(`page ${index} is grayscale with ${spp} samples per pixel`);
    channels = 1;
  } else if (photometric === 2) {
    if (spp < 3) r.fail(`page ${index} is RGB with only ${spp} samples per pixel`);
    channels = spp === 4 ? 4 : 3;
  } else if (photometric === 3) {
    if (spp !== 1 || sampleType !== 'uint' || bits > 16) r.fail(`page ${index} is a palette image with ${spp}x${bits}-bit ${sampleType} samples`);
    colorMap = ints(r, entries, 320, index);
    if (!colorMap) r.fail(`page ${index} is a palette image without a ColorMap`);
    if (colorMap.length !== 3 * 2 ** bits) r.fail(`page ${index}: ColorMap has ${colorMap.length} values, expected ${3 * 2 ** bits}`);
    channels = 3;
  } else {
    const names: Record<number, string> = { 4: 'transparency mask', 5: 'CMYK', 6: 'YCbCr', 8: 'CIE L*a*b*', 32844: 'LogL', 32845: 'LogLuv' };
    r.fail(`page ${index} has photometric interpretation ${photometric}${names[photometric] ? ` (${names[photometric]})` : ''}; only gray, RGB and palette are supported`);
  }

  let tileWidth: number;
  let tileHeight: number;
  let offsets: number[] | undefined;
  let byteCounts: number[] | undefined;
  let blocks: number;
  if (entries.has(322) || entries.has(323)) {
    tileWidth = one(r, entries, 322, index) ?? 0;
    tileHeight = one(r, entries, 323, index) ?? 0;
    if (tileWidth === 0 || tileHeight === 0 || tileWidth * tileHeight > 2 ** 26) {
      r.fail(`page ${index} has an invalid tile size ${tileWidth}x${tileHeight}`);
    }
    blocks = Math.ceil(width / tileWidth) * Math.ceil(height / tileHeight);
    offsets = ints(r, entries, 324, index);
    byteCounts = ints(r, entries, 325, index);
    if (!offsets || !byteCounts) r.fail(`page ${index} is tiled but lacks TileOffsets/TileByteCounts`);
  } else {
    tileWidth = width;
    const rps = one(r, entries, 278, index) ?? height;
    if (rps === 0) r.fail(`page ${index} has RowsPerStrip 0`);
    tileHeight = Math.min(rps, height);
    blocks = Math.ceil(height / tileHeight);
    offsets = ints(r, entries, 273, index);
    if (!offsets) r.fail(`page ${index} has no StripOffsets`);
    byteCounts = ints(r, entries, 279, index);
    if (!byteCounts) {
      if (compression !== 1 || blocks !== 1) r.fail(`page ${index} has no StripByteCounts`);
      byteCounts = [Math.ceil((width * spp * bits) / 8) * height];
    }
  }
  const what = entries.has(322) || entries.has(323) ? 'tile' : 'strip';
  if (offsets.length < blocks || byteCounts.length < blocks) {
    r.fail(`page ${index} needs ${blocks} ${what}s but lists ${Math.min(offsets.length, byteCounts.length)}`);
  }
  for (let k = 0; k < blocks; k++) {
    if (offsets[k]! + byteCounts[k]! > r.b.length) {
      r.fail(
        `page ${index}: ${what} ${k} lies outside the file (offset ${offsets[k]} + ${byteCounts[k]} bytes > file size ${r.b.length})`,
      );
    }
  }
  const subfile = one(r, entries, 254, index) ?? 0;
  return {
    index,
    width,
    height,
    samplesPerPixel: spp,
    bitsPerSample: bits,
    sampleType,
    photometric,
    compression,
    predictor,
    channels,
    reducedResolution: (subfile & 1) === 1,
    tileWidth,
    tileHeight,
    offsets: offsets.slice(0, blocks),
    byteCounts: byteCounts.slice(0, blocks),
    ...(colorMap ? { colorMap } : {}),
  };
}

/**
 * Parse and validate every page (IFD) of a TIFF without decoding any pixels. Reduced-resolution
 * pages (thumbnails) are listed too, flagged.
 */
export function probeTiff(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): TiffPage[] {
  const r = readHeader(bytes, sourceName);
  const pages: TiffPage[] = [];
  const seen = new Set<number>();
  let off = r.u32(4);
  if (off === 0) r.fail('TIFF has no image file directory (first IFD offset is 0)');
  while (off !== 0) {
    if (seen.has(off)) r.fail(`IFD chain loops back to offset ${off} (corrupt file)`);
    seen.add(off);
    if (pages.length >= MAX_TIFF_PAGES) r.fail(`TIFF has more than ${MAX_TIFF_PAGES} pages; refused`);
    if (off < 8 || off + 2 > bytes.length) {
      r.fail(`IFD ${pages.length} offset ${off} lies outside the file (size ${bytes.length} bytes)`);
    }
    const n = r.u16(off);
    if (off + 2 + 12 * n + 4 > bytes.length) {
      r.fail(`IFD ${pages.length} at offset ${off} declares ${n} entries, running past the end of the file (truncated?)`);
    }
    const entries = new Map<number, Entry>();
    for (let i = 0; i < n; i++) {
      const p = off + 2 + 12 * i;
      const tag = r.u16(p);
      const type = r.u16(p + 2);
      const count = r.u32(p + 4);
      const size = TYPE_SIZE[type];
      if (size === undefined) continue; // unknown field types are skipped, as the TIFF 6 spec requires
      const pos = count * size <= 4 ? p + 8 : r.u32(p + 8);
      entries.set(tag, { type, count, pos });
    }
    pages.push(parsePage(r, entries, pages.length));
    off = r.u32(off + 2 + 12 * n);
  }
  return pages;
}

// ---------------------------------------------------------------------------------------------
// Decompression: each returns exactly `expected` bytes or throws a plain Error.

function lzwDecode(src: Uint8Array, expected: number): Uint8Array {
  if (src.length >= 2 && src[0] === 0 && (src[1]! & 1) === 1) {
    throw new Error('old-style (pre-TIFF 6) LZW is not supported');
  }
  const out = new Uint8Array(expected);
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  let op = 0;
  // Write the string of `code` at `op`, clipped to the output size.
  const emit = (code: number): void => {
    const len = length[code]!;
    let k = code;
    for (let i = len - 1; i >= 0; i--) {
      if (op + i < expected) out[op + i] = suffix[k]!;
      k = prefix[k]!;
    }
    op += len;
  };
  let next = 258;
  let width = 9;
  let prev = -1;
  let bit = 0;
  const nbits = src.length * 8;
  while (bit + width <= nbits && op < expected) {
    let code = 0;
    for (let i = 0; i < width; i++, bit++) code = (code << 1) | ((src[bit >> 3]! >> (7 - (bit & 7))) & 1);
    if (code === 256) {
      next = 258;
      width = 9;
      prev = -1;
      continue;
    }
    if (code === 257) break;
    if (prev === -1) {
      if (code > 255) throw new Error(`corrupt LZW data: code ${code} right after a clear code`);
      emit(code);
      prev = code;
      continue;
    }
    let firstByte: number;
    if (code < next) {
      emit(code);
      firstByte = first[code]!;
    } else if (code === next) {
      if (next >= 4096) throw new Error('corrupt LZW data: code table overflow');
      firstByte = first[prev]!;
      emit(prev);
      if (op < expected) out[op] = firstByte;
      op++;
    } else {
      throw new Error(`corrupt LZW data: code ${code} is beyond the table (${next} entries)`);
    }
    if (next < 4096) {
      prefix[next] = prev;
      suffix[next] = firstByte;
      first[next] = first[prev]!;
      length[next] = length[prev]! + 1;
      next++;
      if (next + 1 >= 1 << width && width < 12) width++; // TIFF's "early change"
    }
    prev = code;
  }
  if (op < expected) throw new Error(`LZW data decodes to ${op} bytes, expected ${expected}`);
  return out;
}

function packBitsDecode(src: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let ip = 0;
  let op = 0;
  while (ip < src.length && op < expected) {
    const n = (src[ip++]! << 24) >> 24;
    if (n >= 0) {
      const take = Math.min(n + 1, expected - op);
      if (ip + n + 1 > src.length) throw new Error('PackBits data is truncated');
      out.set(src.subarray(ip, ip + take), op);
      ip += n + 1;
      op += take;
    } else if (n !== -128) {
      if (ip >= src.length) throw new Error('PackBits data is truncated');
      const take = Math.min(1 - n, expected - op);
      out.fill(src[ip++]!, op, op + take);
      op += take;
    }
  }
  if (op < expected) throw new Error(`PackBits data decodes to ${op} bytes, expected ${expected}`);
  return out;
}

function decompress(page: TiffPage, src: Uint8Array, expected: number): Uint8Array {
  switch (page.compression) {
    case 1:
      if (src.length < expected) throw new Error(`holds ${src.length} bytes, expected ${expected}`);
      return src.subarray(0, expected);
    case 5:
      return lzwDecode(src, expected);
    case 32773:
      return packBitsDecode(src, expected);
    default: {
      // Deflate (8, and the older code 32946): a zlib stream that must decode to exactly `expected` bytes.
      const out = inflateCapped(src, 'zlib', expected, 'throw');
      if (out.length < expected) throw new Error(`Deflate data decodes to ${out.length} bytes, expected ${expected}`);
      return out;
    }
  }
}

function undoPredictor(raw: Uint8Array, rows: number, rowBytes: number, spp: number, bytesPer: number, le: boolean): void {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let y = 0; y < rows; y++) {
    const base = y * rowBytes;
    const n = rowBytes / bytesPer;
    for (let i = spp; i < n; i++) {
      const o = base + i * bytesPer;
      const q = base + (i - spp) * bytesPer;
      if (bytesPer === 1) raw[o] = (raw[o]! + raw[q]!) & 0xff;
      else if (bytesPer === 2) dv.setUint16(o, (dv.getUint16(o, le) + dv.getUint16(q, le)) & 0xffff, le);
      else dv.setUint32(o, (dv.getUint32(o, le) + dv.getUint32(q, le)) >>> 0, le);
    }
  }
}

function sampleReader(page: TiffPage, le: boolean): (raw: Uint8Array, dv: DataView, rowStart: number, i: number) => number {
  const bits = page.bitsPerSample;
  const t = page.sampleType;
  if (bits < 8) {
    const mask = (1 << bits) - 1;
    return (raw, _dv, rowStart, i) => {
      const bit = i * bits;
      return (raw[rowStart + (bit >> 3)]! >> (8 - bits - (bit & 7))) & mask;
    };
  }
  const B = bits / 8;
  if (t === 'float') return bits === 32 ? (_r, dv, s, i) => dv.getFloat32(s + i * 4, le) : (_r, dv, s, i) => dv.getFloat64(s + i * 8, le);
  if (t === 'int') {
    return B === 1 ? (_r, dv, s, i) => dv.getInt8(s + i) : B === 2 ? (_r, dv, s, i) => dv.getInt16(s + 2 * i, le) : (_r, dv, s, i) => dv.getInt32(s + 4 * i, le);
  }
  return B === 1 ? (r, _dv, s, i) => r[s + i]! : B === 2 ? (_r, dv, s, i) => dv.getUint16(s + 2 * i, le) : (_r, dv, s, i) => dv.getUint32(s + 4 * i, le);
}

/** Decode one validated page into planes [C, H, W]: unsigned samples scaled to [0, 1], signed to [-1, 1], floats as stored. */
export function decodeTiffPage(bytes: Uint8Array, page: TiffPage, sourceName: string = UNNAMED_SOURCE): ColorImage {
  const le = bytes[0] === 0x49;
  const { width, height, samplesPerPixel: spp, bitsPerSample: bits, tileWidth: tw, tileHeight: th } = page;
  const C = page.channels;
  const plane = width * height;
  const out = new Float32Array(C * plane);
  const rowBytes = Math.ceil((tw * spp * bits) / 8);
  const across = Math.ceil(width / tw);
  const read = sampleReader(page, le);
  const maxInt = page.sampleType === 'int' ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const scale = page.sampleType === 'float' ? 1 : 1 / maxInt;
  const invert = page.photometric === 0 && page.sampleType !== 'float';
  const map = page.colorMap;
  const mapN = 2 ** bits;
  for (let k = 0; k < page.offsets.length; k++) {
    const x0 = (k % across) * tw;
    const y0 = Math.floor(k / across) * th;
    // The last strip may be short; tiles always hold full tiles.
    const rows = tw === width ? Math.min(th, height - y0) : th;
    const expected = rows * rowBytes;
    let raw: Uint8Array;
    try {
      raw = decompress(page, bytes.subarray(page.offsets[k]!, page.offsets[k]! + page.byteCounts[k]!), expected);
    } catch (e) {
      throw new DataFormatError(sourceName, `page ${page.index}, ${tw === width ? 'strip' : 'tile'} ${k}: corrupt data (${describeError(e)})`, {
        cause: e,
      });
    }
    if (page.predictor === 2) {
      if (page.compression === 1) raw = raw.slice(); // never modify the caller's bytes
      undoPredictor(raw, rows, rowBytes, spp, bits / 8, le);
    }
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const ymax = Math.min(rows, height - y0);
    const xmax = Math.min(tw, width - x0);
    for (let y = 0; y < ymax; y++) {
      const rowStart = y * rowBytes;
      const o = (y0 + y) * width + x0;
      for (let x = 0; x < xmax; x++) {
        if (map) {
          const idx = read(raw, dv, rowStart, x);
          for (let c = 0; c < 3; c++) out[c * plane + o + x] = map[c * mapN + idx]! / 65535;
          continue;
        }
        for (let c = 0; c < C; c++) {
          let v = read(raw, dv, rowStart, x * spp + c) * scale;
          if (invert) v = 1 - v;
          out[c * plane + o + x] = v;
        }
      }
    }
  }
  return { height, width, channels: C, data: out };
}

/** The NumPy-style name of a page's sample type, e.g. 'uint16' or 'float32'. */
export function tiffDtype(page: TiffPage): string {
  return `${page.sampleType}${page.bitsPerSample}`;
}
