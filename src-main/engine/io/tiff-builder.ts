/**
 * Builds classic TIFF files for the tests and the hostile corpus: any tags, several pages, and
 * strips compressed with LZW, Deflate or PackBits (encoders written for this purpose; utif2 can
 * only write uncompressed 8-bit RGBA). Not used by the engine itself.
 */
import { zlibSync } from 'fflate';

export type TagValue = { type: 3 | 4; values: number[] };

export interface PageSpec {
  /** Tags other than the strip/tile offsets and byte counts, which are filled in from `blocks`. */
  tags: Record<number, TagValue>;
  /** Strip (or tile) payloads, already compressed. */
  blocks: Uint8Array[];
  tiled?: boolean;
}

export const short = (...values: number[]): TagValue => ({ type: 3, values });
export const long = (...values: number[]): TagValue => ({ type: 4, values });

/** TIFF LZW (MSB-first codes, 9 to 12 bits, "early change"), with a clear code at the start and when the table fills. */
export function lzwEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let nacc = 0;
  let width = 9;
  const put = (code: number): void => {
    acc = (acc << width) | code;
    nacc += width;
    while (nacc >= 8) {
      out.push((acc >>> (nacc - 8)) & 0xff);
      nacc -= 8;
    }
    acc &= (1 << nacc) - 1;
  };
  let dict = new Map<string, number>();
  let next = 258;
  put(256);
  let w = '';
  for (const byte of data) {
    const wc = w + String.fromCharCode(byte);
    if (w === '' || dict.has(wc)) {
      w = wc;
      continue;
    }
    put(w.length === 1 ? w.charCodeAt(0) : dict.get(w)!);
    dict.set(wc, next++);
    // The decoder's table lags one entry behind, and it widens one code early ("early change").
    if (next >= 1 << width && width < 12) width++;
    if (next >= 4093) {
      put(256);
      dict = new Map();
      next = 258;
      width = 9;
    }
    w = String.fromCharCode(byte);
  }
  if (w !== '') put(w.length === 1 ? w.charCodeAt(0) : dict.get(w)!);
  // The decoder's table grows by one for the code just written; EOI uses the width it then has.
  if (w !== '' && next + 1 >= 1 << width && width < 12) width++;
  put(257);
  if (nacc > 0) out.push((acc << (8 - nacc)) & 0xff);
  return Uint8Array.from(out);
}

export function packBitsEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    let run = 1;
    while (i + run < data.length && run < 128 && data[i + run] === data[i]) run++;
    if (run >= 2) {
      out.push(257 - run, data[i]!);
      i += run;
      continue;
    }
    let lit = 1;
    while (i + lit < data.length && lit < 128 && data[i + lit] !== data[i + lit - 1]) lit++;
    out.push(lit - 1, ...data.subarray(i, i + lit));
    i += lit;
  }
  return Uint8Array.from(out);
}

export const deflateEncode = (data: Uint8Array): Uint8Array => zlibSync(data, { level: 6 });

/** A TIFF with the given pages; `le` little-endian ('II') or big-endian ('MM'). */
export function buildTiff(pages: PageSpec[], le = true): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number): number[] => (le ? [v & 0xff, (v >> 8) & 0xff] : [(v >> 8) & 0xff, v & 0xff]);
  const u32 = (v: number): number[] => {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    return le ? b : b.reverse();
  };
  parts.push(...(le ? [0x49, 0x49] : [0x4d, 0x4d]), ...u16(42), ...u32(8));
  const patches: Array<{ at: number; value: number }> = [];
  const ifdStarts: number[] = [];
  const nextPointers: number[] = [];
  // Layout: header, then for each page: IFD, out-of-line values, block data.
  for (const page of pages) {
    const tags: Record<number, TagValue> = { ...page.tags };
    const offTag = page.tiled ? 324 : 273;
    const cntTag = page.tiled ? 325 : 279;
    tags[offTag] = long(...page.blocks.map(() => 0));
    tags[cntTag] = long(...page.blocks.map((b) => b.length));
    const ids = Object.keys(tags).map(Number).sort((a, b) => a - b);
    const ifd = parts.length;
    ifdStarts.push(ifd);
    parts.push(...u16(ids.length));
    const extra: Array<{ entry: number; bytes: number[]; tag: number }> = [];
    for (const id of ids) {
      const t = tags[id]!;
      const bytes = t.values.flatMap((v) => (t.type === 3 ? u16(v) : u32(v)));
      const entry = parts.length;
      parts.push(...u16(id), ...u16(t.type), ...u32(t.values.length));
      if (bytes.length <= 4) parts.push(...bytes, ...new Array<number>(4 - bytes.length).fill(0));
      else {
        parts.push(0, 0, 0, 0);
        extra.push({ entry, bytes, tag: id });
      }
    }
    nextPointers.push(parts.length);
    parts.push(0, 0, 0, 0);
    const valuePos = new Map<number, number>();
    for (const e of extra) {
      if (parts.length % 2) parts.push(0);
      patches.push({ at: e.entry + 8, value: parts.length });
      valuePos.set(e.tag, parts.length);
      parts.push(...e.bytes);
    }
    const offsets: number[] = [];
    for (const b of page.blocks) {
      offsets.push(parts.length);
      for (const x of b) parts.push(x);
    }
    // Fill in the offsets, inline (one block) or in the out-of-line array.
    const offEntry = ifd + 2 + 12 * ids.indexOf(offTag);
    if (offsets.length === 1) patches.push({ at: offEntry + 8, value: offsets[0]! });
    else offsets.forEach((o, i) => patches.push({ at: valuePos.get(offTag)! + 4 * i, value: o }));
  }
  ifdStarts.forEach((start, i) => {
    if (i > 0) patches.push({ at: nextPointers[i - 1]!, value: start });
  });
  const out = Uint8Array.from(parts);
  const dv = new DataView(out.buffer);
  for (const p of patches) dv.setUint32(p.at, p.value, le);
  dv.setUint32(4, ifdStarts[0]!, le);
  return out;
}

/** The tags of a plain strip image. */
export function imageTags(o: {
  width: number;
  height: number;
  spp?: number;
  bits?: number;
  compression?: number;
  photometric?: number;
  rowsPerStrip?: number;
  sampleFormat?: number;
  predictor?: number;
}): Record<number, TagValue> {
  const spp = o.spp ?? 1;
  const tags: Record<number, TagValue> = {
    256: long(o.width),
    257: long(o.height),
    258: short(...new Array<number>(spp).fill(o.bits ?? 8)),
    259: short(o.compression ?? 1),
    262: short(o.photometric ?? (spp >= 3 ? 2 : 1)),
    277: short(spp),
    278: long(o.rowsPerStrip ?? o.height),
  };
  if (o.sampleFormat) tags[339] = short(...new Array<number>(spp).fill(o.sampleFormat));
  if (o.predictor) tags[317] = short(o.predictor);
  return tags;
}
