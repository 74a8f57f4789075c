import { DataFormatError, describeError, UNNAMED_SOURCE } from './errors';
import { readWholeFile } from './fileio';
import { inflateHead, streamInflate } from './inflate';
import { checkedSize, dtypeItemSize, formatShape, type DType, type NdArray, type NdData } from './npy';

const IDX_TYPES: Record<number, DType> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// DEFLATE cannot expand data by more than about 1032:1; a header claiming more than that is lying.
const MAX_DEFLATE_RATIO = 1100;

interface IdxHeader {
  dtype: DType;
  shape: number[];
  size: number;
  headerBytes: number;
  dataBytes: number;
}

function hex32(b: Uint8Array): string {
  return `0x${[...b.subarray(0, 4)].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** Parse the header once `head` holds at least its first 4 bytes; returns null while more are needed. */
function parseHeader(head: Uint8Array, source: string): IdxHeader | null {
  if (head.length < 4) return null;
  if (head[0] !== 0 || head[1] !== 0) {
    throw new DataFormatError(source, `not an IDX file: bad magic ${hex32(head)} (expected 0x0000TTNN)`);
  }
  const dtype = IDX_TYPES[head[2]!];
  if (!dtype) {
    throw new DataFormatError(source, `IDX magic ${hex32(head)} names unknown element type 0x${head[2]!.toString(16).padStart(2, '0')}`);
  }
  const ndim = head[3]!;
  if (ndim === 0) throw new DataFormatError(source, `IDX magic ${hex32(head)} declares zero dimensions`);
  const headerBytes = 4 + 4 * ndim;
  if (head.length < headerBytes) return null;
  const dv = new DataView(head.buffer, head.byteOffset, headerBytes);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(dv.getUint32(4 + 4 * i, false));
  const size = checkedSize(shape, source);
  return { dtype, shape, size, headerBytes, dataBytes: size * dtypeItemSize(dtype) };
}

function makeArray(h: IdxHeader, body: Uint8Array): NdArray {
  const item = dtypeItemSize(h.dtype);
  if (HOST_LITTLE_ENDIAN && item > 1) {
    for (let i = 0; i < body.length; i += item) {
      for (let a = i, b = i + item - 1; a < b; a++, b--) {
        const t = body[a]!;
        body[a] = body[b]!;
        body[b] = t;
      }
    }
  }
  const buf = body.buffer as ArrayBuffer;
  const n = h.size;
  const views: Record<Exclude<DType, 'bool' | 'int64' | 'uint16'>, () => NdData> = {
    uint8: () => new Uint8Array(buf, 0, n),
    int8: () => new Int8Array(buf, 0, n),
    int16: () => new Int16Array(buf, 0, n),
    int32: () => new Int32Array(buf, 0, n),
    float32: () => new Float32Array(buf, 0, n),
    float64: () => new Float64Array(buf, 0, n),
  };
  return { dtype: h.dtype, shape: h.shape, data: views[h.dtype as keyof typeof views]() };
}

function allocateBody(h: IdxHeader, source: string): Uint8Array {
  try {
    return new Uint8Array(h.dataBytes);
  } catch (e) {
    throw new DataFormatError(source, `cannot allocate ${h.dataBytes} bytes for shape ${formatShape(h.shape)}`, { cause: e });
  }
}

function truncated(h: IdxHeader, got: number, source: string): DataFormatError {
  return new DataFormatError(
    source,
    `truncated IDX data: shape ${formatShape(h.shape)} of ${h.dtype} needs ${h.dataBytes} bytes but only ${got} are present`,
  );
}

function readPlain(bytes: Uint8Array, source: string): NdArray {
  const h = parseHeader(bytes, source);
  if (!h) throw new DataFormatError(source, `truncated IDX header: only ${bytes.length} bytes`);
  const present = bytes.length - h.headerBytes;
  if (present < h.dataBytes) throw truncated(h, present, source);
  if (present > h.dataBytes) {
    throw new DataFormatError(source, `IDX file has ${present - h.dataBytes} bytes beyond the ${h.dataBytes} its header declares`);
  }
  const body = allocateBody(h, source);
  body.set(bytes.subarray(h.headerBytes));
  return makeArray(h, body);
}

function readGzip(bytes: Uint8Array, source: string): NdArray {
  if (bytes.length < 18) throw new DataFormatError(source, `truncated gzip data: only ${bytes.length} bytes`);
  const trailerSize = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  const head = new Uint8Array(4 + 4 * 255);
  const st: { headLen: number; header: IdxHeader | null; body: Uint8Array; bodyLen: number } = {
    headLen: 0,
    header: null,
    body: new Uint8Array(0),
    bodyLen: 0,
  };
  const onChunk = (chunk: Uint8Array): void => {
    let off = 0;
    if (!st.header) {
      const take = Math.min(chunk.length, head.length - st.headLen);
      head.set(chunk.subarray(0, take), st.headLen);
      st.headLen += take;
      const h = parseHeader(head.subarray(0, st.headLen), source);
      if (!h) return;
      off = take - (st.headLen - h.headerBytes);
      const total = h.headerBytes + h.dataBytes;
      // Both checks come before the data buffer exists.
      if (total % 2 ** 32 !== trailerSize) {
        throw new DataFormatError(
          source,
          `IDX header declares ${total} bytes but the gzip trailer records ${trailerSize} (corrupt or lying header)`,
        );
      }
      if (total > bytes.length * MAX_DEFLATE_RATIO) {
        throw new DataFormatError(source, `IDX header declares ${total} bytes, impossible for ${bytes.length} bytes of gzip data`);
      }
      st.body = allocateBody(h, source);
      st.header = h;
    }
    const rest = chunk.subarray(off);
    if (st.bodyLen + rest.length > st.body.length) {
      throw new DataFormatError(source, `IDX data is longer than the ${st.body.length} bytes its header declares`);
    }
    st.body.set(rest, st.bodyLen);
    st.bodyLen += rest.length;
  };
  try {
    streamInflate(bytes, 'gzip', onChunk);
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    throw new DataFormatError(source, `corrupt gzip data: ${describeError(e)}`, { cause: e });
  }
  const h = st.header;
  if (!h) throw new DataFormatError(source, `truncated IDX header: only ${st.headLen} bytes after decompression`);
  if (st.bodyLen < h.dataBytes) throw truncated(h, st.bodyLen, source);
  return makeArray(h, st.body);
}

/**
 * The element type and shape an IDX file (plain or gzip) declares, decompressing only the header:
 * lets a caller refuse an absurd shape before the data is allocated.
 */
export function readIdxHeader(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): { dtype: DType; shape: number[] } {
  let head = bytes;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    if (bytes.length < 18) throw new DataFormatError(sourceName, `truncated gzip data: only ${bytes.length} bytes`);
    try {
      head = inflateHead(bytes, 'gzip', 4 + 4 * 255);
    } catch (e) {
      throw new DataFormatError(sourceName, `corrupt gzip data: ${describeError(e)}`, { cause: e });
    }
  }
  const h = parseHeader(head, sourceName);
  if (!h) throw new DataFormatError(sourceName, `truncated IDX header: only ${head.length} bytes`);
  return { dtype: h.dtype, shape: h.shape };
}

/** Read an IDX file (the MNIST format), plain or gzip-compressed; data comes back in native byte order. */
export function readIdx(bytes: Uint8Array, sourceName: string = UNNAMED_SOURCE): NdArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return readGzip(bytes, sourceName);
  return readPlain(bytes, sourceName);
}

export async function readIdxFile(path: string): Promise<NdArray> {
  return readIdx(await readWholeFile(path), path);
}
