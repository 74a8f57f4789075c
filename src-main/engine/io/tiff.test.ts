import UTIF from 'utif2';
import { describe, expect, it } from 'vitest';
import { decodeTiffPage, probeTiff, tiffDtype } from './tiff';
import { buildTiff, deflateEncode, imageTags, long, lzwEncode, packBitsEncode, short } from './tiff-builder';
import { expectFormatError } from './test-helpers';

const F = 'stack.tif';

function u16bytes(values: number[], le: boolean): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(out.buffer).setUint16(2 * i, v, le));
  return out;
}

const readAll = (b: Uint8Array) => probeTiff(b, F).map((p) => decodeTiffPage(b, p, F));

describe('tiff', () => {
  it('reads what utif2 encodes (8-bit RGBA, big-endian)', () => {
    const w = 5;
    const h = 3;
    const rgba = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37) % 256);
    const file = new Uint8Array(UTIF.encodeImage(rgba, w, h));
    const [img] = readAll(file);
    expect(img).toMatchObject({ width: w, height: h, channels: 4 });
    for (let i = 0; i < w * h; i++) for (let c = 0; c < 4; c++) expect(Math.round(img!.data[c * w * h + i]! * 255)).toBe(rgba[4 * i + c]);
  });

  it('16-bit gray, multi-page, LZW, several strips: values / 65535; utif2 agrees on the raw samples', () => {
    const w = 7;
    const h = 5;
    const pages = [0, 1, 2].map((p) => Array.from({ length: w * h }, (_, i) => (i * 1000 + p * 7919) % 65536));
    const file = buildTiff(
      pages.map((vals) => {
        const raw = u16bytes(vals, true);
        const rowBytes = w * 2;
        const blocks = [0, 2, 4].map((y0) => lzwEncode(raw.subarray(y0 * rowBytes, Math.min(h, y0 + 2) * rowBytes)));
        return { tags: imageTags({ width: w, height: h, bits: 16, compression: 5, rowsPerStrip: 2 }), blocks };
      }),
    );
    const probed = probeTiff(file, F);
    expect(probed.map((p) => [p.width, p.height, tiffDtype(p)])).toEqual([
      [7, 5, 'uint16'],
      [7, 5, 'uint16'],
      [7, 5, 'uint16'],
    ]);
    readAll(file).forEach((img, p) => expect(Array.from(img.data, (v) => Math.round(v * 65535))).toEqual(pages[p]));
    // Independent reference: utif2's decoder on the same bytes.
    const ifds = UTIF.decode(file.buffer as ArrayBuffer);
    expect(ifds).toHaveLength(3);
    UTIF.decodeImage(file.buffer as ArrayBuffer, ifds[1]!);
    const ref = new Uint16Array(ifds[1]!.data.buffer.slice(ifds[1]!.data.byteOffset, ifds[1]!.data.byteOffset + w * h * 2));
    expect(Array.from(ref)).toEqual(pages[1]);
  });

  it('LZW over a long varied strip (code widths up to 12 bits and table resets) matches utif2', () => {
    const w = 300;
    const h = 40;
    let s = 12345;
    const raw = Uint8Array.from({ length: w * h }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) & 0x3f);
    const file = buildTiff([{ tags: imageTags({ width: w, height: h, compression: 5 }), blocks: [lzwEncode(raw)] }]);
    const [img] = readAll(file);
    expect(Array.from(img!.data, (v) => Math.round(v * 255))).toEqual(Array.from(raw));
    const [ifd] = UTIF.decode(file.buffer as ArrayBuffer);
    UTIF.decodeImage(file.buffer as ArrayBuffer, ifd!);
    expect(Array.from(ifd!.data.subarray(0, w * h))).toEqual(Array.from(raw));
  });

  it('Deflate with the horizontal predictor, PackBits, RGB, float32, palette and tiles', () => {
    const w = 4;
    const h = 2;
    const raw = Uint8Array.from({ length: w * h * 3 }, (_, i) => i * 10);
    // Predictor 2: each sample stored as the difference from the same channel one pixel left.
    const diff = raw.slice();
    for (let y = 0; y < h; y++) for (let x = w - 1; x > 0; x--) for (let c = 0; c < 3; c++) {
      const o = (y * w + x) * 3 + c;
      diff[o] = (raw[o]! - raw[o - 3]!) & 0xff;
    }
    const rgbDeflate = buildTiff([{ tags: imageTags({ width: w, height: h, spp: 3, compression: 8, predictor: 2 }), blocks: [deflateEncode(diff)] }], false);
    const rgbPack = buildTiff([{ tags: imageTags({ width: w, height: h, spp: 3, compression: 32773 }), blocks: [packBitsEncode(raw)] }]);
    for (const file of [rgbDeflate, rgbPack]) {
      const [img] = readAll(file);
      expect(img!.channels).toBe(3);
      for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) expect(Math.round(img!.data[c * w * h + i]! * 255)).toBe(raw[3 * i + c]);
    }
    const floats = new Float32Array([-1.5, 0, 2.25, 1e6]);
    const f32 = buildTiff([{ tags: imageTags({ width: 2, height: 2, bits: 32, sampleFormat: 3 }), blocks: [new Uint8Array(floats.buffer)] }]);
    expect(Array.from(readAll(f32)[0]!.data)).toEqual([-1.5, 0, 2.25, 1e6]);
    // 4-bit palette: index i → (i*4096, 0, 65535 - i*4096).
    const map = [...Array.from({ length: 16 }, (_, i) => i * 4096), ...new Array<number>(16).fill(0), ...Array.from({ length: 16 }, (_, i) => 65535 - i * 4096)];
    const pal = buildTiff([{ tags: { ...imageTags({ width: 2, height: 1, bits: 4, photometric: 3 }), 320: short(...map) }, blocks: [new Uint8Array([0x3a])] }]);
    const [p] = readAll(pal);
    expect(p!.channels).toBe(3);
    expect(Array.from(p!.data, (v) => Math.round(v * 65535))).toEqual([3 * 4096, 10 * 4096, 0, 0, 65535 - 3 * 4096, 65535 - 10 * 4096]);
    // 2x2 tiles of a 3x3 image (edge tiles padded).
    const tiles = [[1, 2, 4, 5], [3, 0, 6, 0], [7, 8, 0, 0], [9, 0, 0, 0]].map((t) => Uint8Array.from(t));
    const tags: Record<number, ReturnType<typeof long>> = { ...imageTags({ width: 3, height: 3 }), 322: long(2), 323: long(2) };
    delete tags[278];
    const tiled = buildTiff([{ tags, blocks: tiles, tiled: true }]);
    expect(Array.from(readAll(tiled)[0]!.data, (v) => Math.round(v * 255))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses absurd sizes, offsets outside the file, loops and unsupported encodings', () => {
    const ok = (extra: Record<number, ReturnType<typeof long>> = {}, blocks = [new Uint8Array(4)]) =>
      buildTiff([{ tags: { ...imageTags({ width: 2, height: 2 }), ...extra }, blocks }]);
    expectFormatError(() => probeTiff(ok({ 256: long(100000), 257: long(100000) }), F), F, /pixels; more than 2\^28/);
    const outside = ok();
    const dv = new DataView(outside.buffer);
    // StripOffsets is the 7th tag (256, 257, 258, 259, 262, 273, ...): its inline value at IFD + 2 + 12*5 + 8.
    dv.setUint32(8 + 2 + 12 * 5 + 8, 1 << 20, true);
    expectFormatError(() => probeTiff(outside, F), F, /strip 0 lies outside the file/);
    const loop = ok();
    const n = new DataView(loop.buffer).getUint16(8, true);
    new DataView(loop.buffer).setUint32(8 + 2 + 12 * n, 8, true);
    expectFormatError(() => probeTiff(loop, F), F, /loops back to offset 8/);
    expectFormatError(() => probeTiff(ok({ 259: short(7) }), F), F, /JPEG compression \(7\)/);
    expectFormatError(() => probeTiff(ok({ 262: short(5), 277: short(4), 258: short(8, 8, 8, 8) }), F), F, /CMYK/);
    const bomb = buildTiff([{ tags: imageTags({ width: 2, height: 2, compression: 8 }), blocks: [deflateEncode(new Uint8Array(1 << 20))] }]);
    expectFormatError(() => readAll(bomb), F, /strip 0: corrupt data .*more than 4 bytes/);
    const garbage = buildTiff([{ tags: imageTags({ width: 2, height: 2, compression: 5 }), blocks: [Uint8Array.from([0x80, 0xff, 0xff, 0xff, 0xff, 0xff])] }]);
    expectFormatError(() => readAll(garbage), F, /corrupt data/);
    const big = Uint8Array.from([0x49, 0x49, 0x2b, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expectFormatError(() => probeTiff(big, F), F, /BigTIFF/);
  });
});
