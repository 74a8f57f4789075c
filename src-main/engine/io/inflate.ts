import { Gunzip, Inflate, Unzlib } from 'fflate';

// Small input slices bound how much a single push can expand (DEFLATE tops out near 1032:1),
// so a sink that aborts on overflow stops a decompression bomb after a few megabytes.
const INPUT_SLICE = 16 * 1024;

/**
 * Run DEFLATE or gzip data through fflate's streaming decoder, handing every output chunk to
 * `sink` as soon as it exists. The sink may throw to abort; nothing is buffered here, so memory
 * stays bounded by whatever the sink decides to keep.
 */
export function streamInflate(
  input: Uint8Array,
  format: 'deflate' | 'gzip' | 'zlib',
  sink: (chunk: Uint8Array) => void,
): void {
  const stream = format === 'gzip' ? new Gunzip() : format === 'zlib' ? new Unzlib() : new Inflate();
  stream.ondata = (chunk) => sink(chunk);
  if (input.length === 0) {
    stream.push(input, true);
    return;
  }
  for (let i = 0; i < input.length; i += INPUT_SLICE) {
    const end = Math.min(input.length, i + INPUT_SLICE);
    stream.push(input.subarray(i, end), end === input.length);
  }
}

/** Inflate raw DEFLATE data that must expand to exactly `size` bytes; throws a plain Error otherwise. */
export function inflateExact(input: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let pos = 0;
  streamInflate(input, 'deflate', (chunk) => {
    if (pos + chunk.length > size) {
      throw new Error(`compressed data expands to more than the declared ${size} bytes`);
    }
    out.set(chunk, pos);
    pos += chunk.length;
  });
  if (pos !== size) {
    throw new Error(`compressed data expands to ${pos} bytes, not the declared ${size}`);
  }
  return out;
}

/** DEFLATE cannot expand data by more than about 1032:1; a declared size beyond this ratio is a lie (or a bomb). */
export const MAX_DEFLATE_RATIO = 1100;

class HeadFull extends Error {}

/**
 * The first `max` bytes that `input` decompresses to (fewer when it is shorter), without inflating
 * the rest: used to read a header before deciding whether the whole thing may be decompressed.
 * Throws a plain Error for corrupt data within that prefix.
 */
export function inflateHead(input: Uint8Array, format: 'deflate' | 'gzip' | 'zlib', max: number): Uint8Array {
  const out = new Uint8Array(max);
  let pos = 0;
  try {
    streamInflate(input, format, (chunk) => {
      const take = Math.min(chunk.length, max - pos);
      out.set(chunk.subarray(0, take), pos);
      pos += take;
      if (pos >= max) throw new HeadFull();
    });
  } catch (e) {
    if (!(e instanceof HeadFull)) {
      // A stream that is truncated after the prefix we need still yields that prefix.
      if (pos === 0) throw e;
    }
  }
  return out.subarray(0, pos);
}

/**
 * Inflate `input` into at most `max` bytes. With `onExcess: 'stop'` extra output is dropped (for
 * formats whose writers may pad); with 'throw' it is an error. Never allocates more than `max`.
 */
export function inflateCapped(
  input: Uint8Array,
  format: 'deflate' | 'gzip' | 'zlib',
  max: number,
  onExcess: 'stop' | 'throw' = 'throw',
): Uint8Array {
  const out = new Uint8Array(max);
  let pos = 0;
  try {
    streamInflate(input, format, (chunk) => {
      if (pos + chunk.length > max) {
        if (onExcess === 'throw') throw new Error(`compressed data expands to more than ${max} bytes`);
        out.set(chunk.subarray(0, max - pos), pos);
        pos = max;
        throw new HeadFull();
      }
      out.set(chunk, pos);
      pos += chunk.length;
    });
  } catch (e) {
    if (!(e instanceof HeadFull)) throw e;
  }
  return out.subarray(0, pos);
}
