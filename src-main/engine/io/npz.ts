import { zipSync, type Zippable } from 'fflate';
import { crc32 } from './crc32';
import { DataFormatError, describeError, UNNAMED_SOURCE } from './errors';
import { readWholeFile, writeFileAtomic } from './fileio';
import { inflateExact, inflateHead, MAX_DEFLATE_RATIO } from './inflate';
import { parseNpy, parseNpyHeader, serializeNpy, type NdArray, type NpyHeader } from './npy';

/** Members declaring more uncompressed bytes than this are refused before anything is inflated. */
export const MAX_NPZ_MEMBER_BYTES = 2 ** 31;
/** Archives whose members together declare more than this are refused before anything is inflated. */
export const MAX_NPZ_TOTAL_BYTES = 2 ** 32;

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

/** Little-endian u64 as a number; values beyond 2^53 come back as Infinity so that every bound check fails. */
function u64(b: Uint8Array, o: number): number {
  const hi = u32(b, o + 4);
  return hi >= 2 ** 21 ? Infinity : hi * 2 ** 32 + u32(b, o);
}

/** Why `name` is unacceptable as an archive member / array key, or null when it is fine. */
export function unsafeMemberName(name: string): string | null {
  if (name.length === 0) return 'the name is empty';
  if (name.includes('\0')) return 'the name contains a NUL character';
  if (name.includes('\\')) return 'the name contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'the name is an absolute path';
  if (name.split('/').some((part) => part === '..')) return "the name contains a '..' path component (path traversal)";
  return null;
}

function quote(name: string): string {
  return JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name);
}

function findEndRecord(bytes: Uint8Array, source: string): number {
  const minStart = Math.max(0, bytes.length - 22 - 0xffff);
  for (let e = bytes.length - 22; e >= minStart; e--) {
    if (bytes[e] === 0x50 && u32(bytes, e) === SIG_EOCD) return e;
  }
  throw new DataFormatError(
    source,
    bytes.length < 22
      ? `not an .npz (zip) archive: only ${bytes.length} bytes`
      : 'not an .npz (zip) archive: no end-of-central-directory record (bad magic or truncated file)',
  );
}

/** Parse and bounds-check the central directory; nothing is decompressed here. */
function readCentralDirectory(bytes: Uint8Array, source: string): ZipEntry[] {
  const e = findEndRecord(bytes, source);
  let disk = u16(bytes, e + 4);
  let cdDisk = u16(bytes, e + 6);
  let countOnDisk = u16(bytes, e + 8);
  let count = u16(bytes, e + 10);
  let cdSize = u32(bytes, e + 12);
  let cdOffset = u32(bytes, e + 16);
  let cdLimit = e;
  if (e >= 20 && u32(bytes, e - 20) === SIG_ZIP64_LOCATOR) {
    const z = u64(bytes, e - 20 + 8);
    if (!(z + 56 <= e - 20) || u32(bytes, z) !== SIG_ZIP64_EOCD) {
      throw new DataFormatError(source, 'corrupt zip archive: the ZIP64 end record is missing or out of bounds');
    }
    disk = u32(bytes, z + 16);
    cdDisk = u32(bytes, z + 20);
    countOnDisk = u64(bytes, z + 24);
    count = u64(bytes, z + 32);
    cdSize = u64(bytes, z + 40);
    cdOffset = u64(bytes, z + 48);
    cdLimit = z;
  }
  if (disk !== 0 || cdDisk !== 0 || countOnDisk !== count) {
    throw new DataFormatError(source, 'multi-volume zip archives are not supported');
  }
  if (!(cdOffset + cdSize <= cdLimit)) {
    throw new DataFormatError(source, 'corrupt zip archive: the central directory lies outside the file (truncated?)');
  }
  if (count * 46 > cdSize) {
    throw new DataFormatError(source, `corrupt zip archive: ${count} entries cannot fit in a ${cdSize}-byte central directory`);
  }

  const entries: ZipEntry[] = [];
  const end = cdOffset + cdSize;
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || u32(bytes, p) !== SIG_CENTRAL) {
      throw new DataFormatError(source, `corrupt zip archive: central directory entry ${i} is damaged`);
    }
    const nameLen = u16(bytes, p + 28);
    const extraLen = u16(bytes, p + 30);
    const commentLen = u16(bytes, p + 32);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > end) throw new DataFormatError(source, `corrupt zip archive: central directory entry ${i} is truncated`);
    let name: string;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(p + 46, p + 46 + nameLen));
    } catch {
      throw new DataFormatError(source, `member ${i} has a name that is not valid UTF-8`);
    }
    let compressedSize = u32(bytes, p + 20);
    let size = u32(bytes, p + 24);
    let localOffset = u32(bytes, p + 42);
    // ZIP64 extra field: the 8-byte values appear only for the fields saturated at 0xFFFFFFFF, in this order.
    for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = u16(bytes, x);
      const len = u16(bytes, x + 2);
      const fieldEnd = x + 4 + len;
      if (fieldEnd > p + 46 + nameLen + extraLen) break;
      if (id === 0x0001) {
        let q = x + 4;
        const take = (): number => {
          if (q + 8 > fieldEnd) {
            throw new DataFormatError(source, `member ${quote(name)} has a malformed ZIP64 extra field`);
          }
          const v = u64(bytes, q);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      x = fieldEnd;
    }
    entries.push({
      name,
      flags: u16(bytes, p + 8),
      method: u16(bytes, p + 10),
      crc: u32(bytes, p + 16),
      compressedSize,
      size,
      localOffset,
    });
    p = next;
  }
  return entries;
}

function memberDataRange(bytes: Uint8Array, entry: ZipEntry, source: string): [number, number] {
  const o = entry.localOffset;
  if (!(o + 30 <= bytes.length) || u32(bytes, o) !== SIG_LOCAL) {
    throw new DataFormatError(source, `member ${quote(entry.name)}: local header is missing or out of bounds (corrupt archive)`);
  }
  const start = o + 30 + u16(bytes, o + 26) + u16(bytes, o + 28);
  const end = start + entry.compressedSize;
  if (!(end <= bytes.length)) {
    throw new DataFormatError(source, `member ${quote(entry.name)}: data runs past the end of the archive (truncated file?)`);
  }
  return [start, end];
}

interface Member {
  entry: ZipEntry;
  key: string;
}

/** Validate every member's name, method and declared sizes; nothing is decompressed here. */
function validatedMembers(bytes: Uint8Array, source: string): Member[] {
  const entries = readCentralDirectory(bytes, source);
  const members: Member[] = [];
  const keys = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    const why = unsafeMemberName(entry.name);
    if (why) throw new DataFormatError(source, `member name ${quote(entry.name)} is refused: ${why}`);
    if (entry.name.endsWith('/') && entry.size === 0) continue; // directory entry
    if (!entry.name.endsWith('.npy')) {
      throw new DataFormatError(source, `member ${quote(entry.name)} is not a .npy array (an .npz holds only name.npy members)`);
    }
    if (entry.flags & 1) throw new DataFormatError(source, `member ${quote(entry.name)} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) {
      throw new DataFormatError(source, `member ${quote(entry.name)} uses unsupported compression method ${entry.method}`);
    }
    if (entry.size > MAX_NPZ_MEMBER_BYTES) {
      throw new DataFormatError(
        source,
        `member ${quote(entry.name)} declares an uncompressed size of ${entry.size} bytes; members over 2 GiB are refused`,
      );
    }
    total += entry.size;
    if (total > MAX_NPZ_TOTAL_BYTES) {
      throw new DataFormatError(source, `members declare more than 4 GiB of uncompressed data in total; refused`);
    }
    if (entry.method === 0 && entry.compressedSize !== entry.size) {
      throw new DataFormatError(source, `member ${quote(entry.name)} is stored but its sizes disagree (corrupt archive)`);
    }
    const key = entry.name.slice(0, -'.npy'.length);
    if (keys.has(key)) throw new DataFormatError(source, `member ${quote(entry.name)} appears more than once`);
    keys.add(key);
    memberDataRange(bytes, entry, source); // bounds-check every member before inflating any
    members.push({ entry, key });
  }
  for (const { entry } of members) {
    if (entry.method === 8 && entry.size > Math.max(1024, entry.compressedSize * MAX_DEFLATE_RATIO)) {
      throw new DataFormatError(
        source,
        `member ${quote(entry.name)} declares an uncompressed size of ${entry.size} bytes from ${entry.compressedSize} compressed bytes, ` +
          'more than DEFLATE can expand (zip bomb or corrupt archive)',
      );
    }
  }
  return members;
}

function readMember(bytes: Uint8Array, { entry }: Member, source: string): NdArray {
  const [start, end] = memberDataRange(bytes, entry, source);
  let raw: Uint8Array;
  if (entry.method === 0) {
    raw = bytes.subarray(start, end);
  } else {
    try {
      raw = inflateExact(bytes.subarray(start, end), entry.size);
    } catch (e) {
      throw new DataFormatError(source, `member ${quote(entry.name)}: corrupt compressed data (${describeError(e)})`, { cause: e });
    }
  }
  if (crc32(raw) !== entry.crc) {
    throw new DataFormatError(source, `member ${quote(entry.name)} fails its CRC-32 check (corrupt archive)`);
  }
  try {
    return parseNpy(raw, `${source}[${entry.name}]`);
  } catch (e) {
    if (!(e instanceof DataFormatError)) throw e;
    throw new DataFormatError(source, `member ${quote(entry.name)}: ${e.problem}`, { cause: e });
  }
}

/**
 * Read an `.npz` archive into a map from array name (member name without '.npy') to array.
 * Every member's declared size is checked against MAX_NPZ_MEMBER_BYTES / MAX_NPZ_TOTAL_BYTES
 * (and against what DEFLATE can possibly expand to) before anything is inflated, inflation stops
 * as soon as a member exceeds its declared size, and each member's CRC is verified.
 */
export function readNpz(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): Map<string, NdArray> {
  const members = validatedMembers(bytes, sourceName);
  const out = new Map<string, NdArray>();
  for (const m of members) out.set(m.key, readMember(bytes, m, sourceName));
  return out;
}

/** Longest .npy header read when listing an archive (NumPy's own limit for untrusted headers is 10000). */
const MAX_LISTED_HEADER = 1 << 20;

/**
 * The arrays in an `.npz` with their `.npy` headers, in archive order, decompressing only as much of
 * each member as its header needs: lets a caller refuse an absurd shape before any data is inflated
 * (readNpzArray then checks the data itself).
 */
export function listNpz(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): Array<{ key: string; header: NpyHeader }> {
  const source = sourceName;
  return validatedMembers(bytes, source).map(({ entry, key }) => {
    const [start, end] = memberDataRange(bytes, entry, source);
    const want = Math.min(entry.size, MAX_LISTED_HEADER);
    let head: Uint8Array;
    if (entry.method === 0) {
      head = bytes.subarray(start, start + want);
    } else {
      try {
        head = inflateHead(bytes.subarray(start, end), 'deflate', want);
      } catch (e) {
        throw new DataFormatError(source, `member ${quote(entry.name)}: corrupt compressed data (${describeError(e)})`, { cause: e });
      }
    }
    try {
      return { key, header: parseNpyHeader(head, `${source}[${entry.name}]`) };
    } catch (e) {
      if (!(e instanceof DataFormatError)) throw e;
      throw new DataFormatError(source, `member ${quote(entry.name)}: ${e.problem}`, { cause: e });
    }
  });
}

/** Read one array (by key, i.e. member name without '.npy') of an `.npz`. */
export function readNpzArray(bytes: Uint8Array, key: string, sourceName: string = UNNAMED_SOURCE): NdArray {
  const members = validatedMembers(bytes, sourceName);
  const m = members.find((x) => x.key === key);
  if (!m) {
    const names = members.map((x) => quote(x.key)).join(', ');
    throw new DataFormatError(sourceName, `has no array named ${quote(key)} (it holds ${names || 'no arrays'})`);
  }
  return readMember(bytes, m, sourceName);
}

export interface WriteNpzOptions {
  /** Deflate the members (like np.savez_compressed). Default false (stored, like np.savez). */
  compress?: boolean;
}

// A fixed timestamp makes archives byte-for-byte reproducible.
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** Build an `.npz` archive that np.load reads; keys become member names `key.npy`. */
export function writeNpz(
  arrays: ReadonlyMap<string, NdArray> | Readonly<Record<string, NdArray>>,
  options: WriteNpzOptions = {},
): Uint8Array {
  const list = arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays);
  if (list.length > 0xffff) throw new RangeError('an .npz may hold at most 65535 arrays here (no ZIP64 support)');
  const files: Zippable = Object.create(null) as Zippable;
  let total = 0;
  for (const [key, arr] of list) {
    const why = unsafeMemberName(key);
    if (why) throw new RangeError(`array name ${quote(key)} cannot be used in an .npz: ${why}`);
    const npy = serializeNpy(arr);
    total += npy.length + 128 + key.length;
    if (total >= 0xffffffff) throw new RangeError('.npz archives of 4 GiB or more are not supported (no ZIP64 support)');
    files[`${key}.npy`] = [npy, { level: options.compress ? 6 : 0, mtime: FIXED_MTIME }];
  }
  return zipSync(files);
}

export async function readNpzFile(path: string): Promise<Map<string, NdArray>> {
  return readNpz(await readWholeFile(path), path);
}

/** Write an `.npz` atomically (temp file in the same directory, fsync, rename). */
export async function writeNpzFile(
  path: string,
  arrays: ReadonlyMap<string, NdArray> | Readonly<Record<string, NdArray>>,
  options: WriteNpzOptions = {},
): Promise<void> {
  await writeFileAtomic(path, writeNpz(arrays, options));
}
