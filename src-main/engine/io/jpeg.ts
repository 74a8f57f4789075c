/**
 * JPEG images through jpeg-js, behind a marker walk of our own that checks the frame header
 * (SOF) and the overall structure before the decoder allocates anything: jpeg-js decodes
 * truncated scan data to grey blocks without complaint, so a file without its end-of-image
 * marker is refused here.
 */
import * as jpeg from 'jpeg-js';
import { DataFormatError, describeError, UNNAMED_SOURCE } from './errors';
import type { ColorImage } from './png';

export interface JpegInfo {
  width: number;
  height: number;
  /** Colour components in the frame: 1 (gray) or 3 (YCbCr/RGB). */
  components: number;
  precision: number;
  progressive: boolean;
}

/** Images with more pixels than this are refused before decoding. */
export const MAX_JPEG_PIXELS = 2 ** 27;

const SOF_NAMES: Record<number, string> = {
  0xc0: 'baseline',
  0xc1: 'extended sequential',
  0xc2: 'progressive',
  0xc3: 'lossless',
  0xc5: 'differential sequential',
  0xc6: 'differential progressive',
  0xc7: 'differential lossless',
  0xc9: 'arithmetic-coded sequential',
  0xca: 'arithmetic-coded progressive',
  0xcb: 'arithmetic-coded lossless',
  0xcd: 'arithmetic-coded differential sequential',
  0xce: 'arithmetic-coded differential progressive',
  0xcf: 'arithmetic-coded differential lossless',
};

function be16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function hex(m: number): string {
  return `0xFF${m.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * Walk the marker segments of a JPEG: SOI, segments with lengths inside the file, exactly one
 * supported frame header before the first scan, and an EOI marker after the entropy-coded data.
 */
export function probeJpeg(bytes: Uint8Array, source: string = UNNAMED_SOURCE): JpegInfo {
  if (bytes.length < 3 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) {
    throw new DataFormatError(source, 'not a JPEG file: bad signature (it does not start with FF D8 FF)');
  }
  let info: JpegInfo | null = null;
  let scans = 0;
  let p = 2;
  for (;;) {
    if (p >= bytes.length) {
      throw new DataFormatError(source, 'truncated JPEG: the file ends before the end-of-image marker (FF D9)');
    }
    if (bytes[p] !== 0xff) {
      throw new DataFormatError(source, `corrupt JPEG: expected a marker at byte ${p}, found 0x${bytes[p]!.toString(16)}`);
    }
    while (p < bytes.length && bytes[p] === 0xff) p++; // fill bytes
    if (p >= bytes.length) {
      throw new DataFormatError(source, 'truncated JPEG: the file ends before the end-of-image marker (FF D9)');
    }
    const marker = bytes[p++]!;
    if (marker === 0xd9) break; // EOI
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // standalone markers
    if (p + 2 > bytes.length) {
      throw new DataFormatError(source, `truncated JPEG: marker ${hex(marker)} at byte ${p - 2} has no length`);
    }
    const len = be16(bytes, p);
    if (len < 2 || p + len > bytes.length) {
      throw new DataFormatError(
        source,
        `truncated or corrupt JPEG: segment ${hex(marker)} at byte ${p - 2} declares ${len} bytes, past the end of the file`,
      );
    }
    const seg = p + 2;
    if (SOF_NAMES[marker] !== undefined) {
      if (info) throw new DataFormatError(source, 'corrupt JPEG: more than one frame header (SOF)');
      if (marker !== 0xc0 && marker !== 0xc1 && marker !== 0xc2) {
        throw new DataFormatError(source, `unsupported JPEG: ${SOF_NAMES[marker]} coding (${hex(marker)}) is not supported`);
      }
      if (len < 8) throw new DataFormatError(source, `corrupt JPEG: frame header of ${len} bytes`);
      const precision = bytes[seg]!;
      const height = be16(bytes, seg + 1);
      const width = be16(bytes, seg + 3);
      const components = bytes[seg + 5]!;
      if (precision !== 8) throw new DataFormatError(source, `unsupported JPEG: ${precision}-bit samples (only 8-bit is supported)`);
      if (width === 0 || height === 0) {
        throw new DataFormatError(source, `invalid JPEG: frame header declares a ${width}x${height} image`);
      }
      if (components !== 1 && components !== 3) {
        throw new DataFormatError(
          source,
          `unsupported JPEG: ${components} colour components (only grayscale and YCbCr/RGB; CMYK is not supported)`,
        );
      }
      if (len < 8 + 3 * components) throw new DataFormatError(source, 'corrupt JPEG: frame header is shorter than its component list');
      for (let c = 0; c < components; c++) {
        const s = bytes[seg + 6 + 3 * c + 1]!;
        if ((s >> 4) < 1 || (s >> 4) > 4 || (s & 15) < 1 || (s & 15) > 4) {
          throw new DataFormatError(source, `corrupt JPEG: component ${c} has invalid sampling factors 0x${s.toString(16)}`);
        }
      }
      if (width * height > MAX_JPEG_PIXELS) {
        throw new DataFormatError(
          source,
          `JPEG is ${width}x${height} = ${width * height} pixels; more than 2^27 (${MAX_JPEG_PIXELS}) are refused`,
        );
      }
      info = { width, height, components, precision, progressive: marker === 0xc2 };
    }
    p += len;
    if (marker === 0xda) {
      if (!info) throw new DataFormatError(source, 'corrupt JPEG: scan data before any frame header (SOF)');
      scans++;
      // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart marker.
      while (p < bytes.length) {
        if (bytes[p] === 0xff && p + 1 < bytes.length) {
          const n = bytes[p + 1]!;
          if (n !== 0 && !(n >= 0xd0 && n <= 0xd7) && n !== 0xff) break;
        }
        p++;
      }
    }
  }
  if (!info) throw new DataFormatError(source, 'corrupt JPEG: no frame header (SOF) before the end-of-image marker');
  if (scans === 0) throw new DataFormatError(source, 'corrupt JPEG: no image data (no SOS segment)');
  return info;
}

/** Decode a JPEG into planes [C, H, W] with values in [0, 1]: C = 1 for grayscale, 3 for colour. */
export function readJpeg(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): ColorImage {
  const info = probeJpeg(bytes, sourceName);
  let rgb: Uint8Array;
  let width: number;
  let height: number;
  try {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil(MAX_JPEG_PIXELS / 1e6),
      maxMemoryUsageInMB: 2048,
    });
    rgb = img.data;
    width = img.width;
    height = img.height;
  } catch (e) {
    throw new DataFormatError(sourceName, `corrupt JPEG: ${describeError(e)}`, { cause: e });
  }
  if (width !== info.width || height !== info.height || rgb.length !== width * height * 3) {
    throw new DataFormatError(sourceName, `corrupt JPEG: decoded ${width}x${height}, its frame header says ${info.width}x${info.height}`);
  }
  const channels = info.components === 1 ? 1 : 3;
  const plane = width * height;
  const data = new Float32Array(channels * plane);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) data[c * plane + i] = rgb[3 * i + c]! / 255;
  }
  return { height, width, channels, data };
}
