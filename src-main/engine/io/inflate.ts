import { Gunzip, Inflate } from 'fflate';

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
  format: 'deflate' | 'gzip',
  sink: (chunk: Uint8Array) => void,
): void {
  const stream = format === 'gzip' ? new Gunzip() : new Inflate();
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
