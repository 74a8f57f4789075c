/**
 * Binary framing of wire messages for the WebSocket: typed arrays are lifted out of the JSON into
 * attachments, so tensors travel as raw bytes. Frame layout (little-endian):
 *   u32 headerLength | header JSON (UTF-8) | padding to 8 | attachment 0 | padding to 8 | attachment 1 …
 * In the JSON each typed array is replaced by {"$tensor": index, "type": "Float32Array", "offset", "length"}.
 */

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;
const CONSTRUCTORS = { Float32Array, Float64Array, Int32Array, Uint8Array, BigInt64Array } as const;
type TypeName = keyof typeof CONSTRUCTORS;

/** Refuse frames that would make the receiver allocate absurd amounts. */
export const MAX_FRAME_BYTES = 512 * 1024 * 1024;

function typeNameOf(v: unknown): TypeName | undefined {
  for (const name of Object.keys(CONSTRUCTORS) as TypeName[]) if (v instanceof CONSTRUCTORS[name]) return name;
  return undefined;
}

const align8 = (n: number) => (n + 7) & ~7;

export function encodeFrame(message: unknown): Uint8Array {
  const blobs: TypedArray[] = [];
  let offset = 0;
  const header = JSON.stringify(message, function (this: Record<string, unknown>, key, value: unknown) {
    // The holder's own value, not `value`: JSON.stringify has already called toJSON by now, which turns a
    // Node Buffer (a Uint8Array) into {type: 'Buffer', data: [...]}.
    const raw = this[key];
    const type = typeNameOf(raw);
    if (!type) return value;
    const arr = raw as TypedArray;
    offset = align8(offset);
    const entry = { $tensor: blobs.length, type, offset, length: arr.length };
    blobs.push(arr);
    offset += arr.byteLength;
    return entry;
  });
  const headerBytes = new TextEncoder().encode(header);
  const start = align8(4 + headerBytes.length);
  const frame = new Uint8Array(start + offset);
  new DataView(frame.buffer).setUint32(0, headerBytes.length, true);
  frame.set(headerBytes, 4);
  let pos = 0;
  for (const b of blobs) {
    pos = align8(pos);
    frame.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), start + pos);
    pos += b.byteLength;
  }
  return frame;
}

export class FrameError extends Error {}

export function decodeFrame(frame: Uint8Array): unknown {
  if (frame.byteLength < 4 || frame.byteLength > MAX_FRAME_BYTES) throw new FrameError(`frame of ${frame.byteLength} bytes refused`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerLength = view.getUint32(0, true);
  if (4 + headerLength > frame.byteLength) throw new FrameError('frame header is longer than the frame');
  const start = align8(4 + headerLength);
  const header = new TextDecoder().decode(frame.subarray(4, 4 + headerLength));
  return JSON.parse(header, (_key, value: unknown) => {
    if (!value || typeof value !== 'object' || !('$tensor' in value)) return value;
    const v = value as unknown as { type: string; offset: number; length: number };
    if (!Object.prototype.hasOwnProperty.call(CONSTRUCTORS, v.type)) throw new FrameError(`unknown attachment type ${v.type}`);
    const Ctor = CONSTRUCTORS[v.type as TypeName];
    if (!Number.isInteger(v.offset) || !Number.isInteger(v.length) || v.offset < 0 || v.length < 0 || v.offset % 8 !== 0) throw new FrameError('bad attachment bounds');
    const bytes = v.length * Ctor.BYTES_PER_ELEMENT;
    if (start + v.offset + bytes > frame.byteLength) throw new FrameError('attachment runs past the end of the frame');
    // Copy into a fresh, aligned buffer: the frame's own buffer may not be 8-aligned.
    const copy = new Uint8Array(bytes);
    copy.set(frame.subarray(start + v.offset, start + v.offset + bytes));
    return new Ctor(copy.buffer);
  });
}
