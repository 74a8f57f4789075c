/**
 * What a file is, from its first bytes, and what its name says it should be. Import trusts neither
 * alone: a file whose content contradicts its extension is refused with both named.
 */
import { matHeaderKind } from '../io/mat';

export type ContentKind =
  | 'empty'
  | 'png'
  | 'jpeg'
  | 'tiff'
  | 'bmp'
  | 'npy'
  | 'zip'
  | 'mat'
  | 'mat73'
  | 'hdf5'
  | 'gzip'
  | 'idx'
  | 'text'
  | 'unknown';

/** What a file name's extension claims. */
export type NameKind = 'png' | 'jpeg' | 'tiff' | 'bmp' | 'npy' | 'npz' | 'mat' | 'idx' | 'csv';

export const IMAGE_KINDS: ReadonlySet<ContentKind> = new Set(['png', 'jpeg', 'tiff', 'bmp']);

const DESCRIPTIONS: Record<ContentKind | NameKind, string> = {
  empty: 'empty',
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  tiff: 'a TIFF image',
  bmp: 'a BMP image',
  npy: 'a NumPy .npy array',
  npz: 'a NumPy .npz archive',
  zip: 'a zip archive (.npz)',
  mat: 'a MATLAB .mat file',
  mat73: 'a MATLAB v7.3 .mat file',
  hdf5: 'an HDF5 file',
  gzip: 'gzip-compressed data',
  idx: 'an IDX (MNIST-style) array',
  csv: 'CSV/TSV text',
  text: 'text',
  unknown: 'of an unrecognised format',
};

export function describeKind(k: ContentKind | NameKind): string {
  return DESCRIPTIONS[k];
}

const IDX_TYPES = new Set([0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e]);

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  return sig.every((v, i) => b[at + i] === v);
}

function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c < 0x09 || (c > 0x0d && c < 0x20 && c !== 0x1b)) return false;
  }
  try {
    // A multi-byte character cut off by the 4 KiB window is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, n), { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Classify `head` (the first few KiB of a file) by its magic bytes. */
export function sniff(head: Uint8Array): ContentKind {
  const b = head;
  if (b.length === 0) return 'empty';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  // BigTIFF: claims to be TIFF so the TIFF reader can say it is not supported.
  if (startsWith(b, [0x49, 0x49, 0x2b, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  if (startsWith(b, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'npy';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04]) || startsWith(b, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  const mat = matHeaderKind(b);
  if (mat === 'v5') return 'mat';
  if (mat === 'v7.3') return 'mat73';
  if (startsWith(b, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])) return 'hdf5';
  if (startsWith(b, [0x1f, 0x8b])) return 'gzip';
  if (b.length >= 8 && b[0] === 0 && b[1] === 0 && IDX_TYPES.has(b[2]!) && b[3]! >= 1 && b[3]! <= 8) return 'idx';
  // 'BM' is also how plenty of text starts, so the header must look sane: a known info-header size.
  if (startsWith(b, [0x42, 0x4d]) && b.length >= 18 && [12, 40, 52, 56, 64, 108, 124].includes(b[14]! | (b[15]! << 8)) && b[16] === 0 && b[17] === 0) {
    return 'bmp';
  }
  if (looksLikeText(b)) return 'text';
  if (startsWith(b, [0x42, 0x4d])) return 'bmp'; // binary after 'BM': let the BMP reader say what is wrong
  return 'unknown';
}

/** What the file's name says, or null when it says nothing we know. */
export function kindFromName(name: string): NameKind | null {
  const n = name.toLowerCase();
  if (n.endsWith('.png')) return 'png';
  if (n.endsWith('.jpg') || n.endsWith('.jpeg') || n.endsWith('.jpe')) return 'jpeg';
  if (n.endsWith('.tif') || n.endsWith('.tiff')) return 'tiff';
  if (n.endsWith('.bmp') || n.endsWith('.dib')) return 'bmp';
  if (n.endsWith('.npy')) return 'npy';
  if (n.endsWith('.npz')) return 'npz';
  if (n.endsWith('.mat')) return 'mat';
  if (/idx\d-ubyte(\.gz)?$/.test(n) || /\.idx\d?(\.gz)?$/.test(n) || n.endsWith('-ubyte') || n.endsWith('.ubyte.gz')) return 'idx';
  if (n.endsWith('.csv') || n.endsWith('.tsv') || n.endsWith('.tab') || n.endsWith('.txt')) return 'csv';
  return null;
}

/** The extensions an image folder's files are recognised by. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.jpe', '.tif', '.tiff', '.bmp', '.dib'];

/** Whether content of kind `c` is what a file named as `n` should hold. */
export function contentMatchesName(c: ContentKind, n: NameKind): boolean {
  switch (n) {
    case 'npz':
      return c === 'zip';
    case 'mat':
      return c === 'mat' || c === 'mat73';
    case 'idx':
      return c === 'idx' || c === 'gzip';
    case 'csv':
      return c === 'text';
    default:
      return c === n;
  }
}
