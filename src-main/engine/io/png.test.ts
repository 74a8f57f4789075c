import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32';
import { readPng, readPngAsGray, tileGrayImages, writeGrayPng } from './png';
import { ascii, concat, expectFormatError } from './test-helpers';

function encode(width: number, height: number, rgba: number[], colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16 = 8): Uint8Array {
  const png = new PNG({ width, height });
  if (bitDepth === 16) {
    png.data = Buffer.from(Uint16Array.from(rgba).buffer);
  } else {
    png.data = Buffer.from(rgba);
  }
  return PNG.sync.write(png, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, data.length);
  head.set(ascii(type), 4);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32(concat(ascii(type), data)));
  return concat(head, data, crc);
}

function ihdr(width: number, height: number, depth: number, colorType: number, interlace: number): Uint8Array {
  const d = new Uint8Array(13);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  d.set([depth, colorType, 0, 0, interlace], 8);
  return chunk('IHDR', d);
}

const SIG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('png', () => {
  it('round-trips gray data through writeGrayPng / readPngAsGray within 1/255', () => {
    const h = 7;
    const w = 9;
    const data = Float32Array.from({ length: h * w }, (_, i) => (Math.sin(i) + 1) / 2);
    const png = writeGrayPng(data, h, w, { min: 0, max: 1 });
    const back = readPngAsGray(png, 'g.png');
    expect(back.shape).toEqual([h, w]);
    for (let i = 0; i < data.length; i++) expect(Math.abs(back.data[i]! - data[i]!)).toBeLessThanOrEqual(1 / 255);
    const planes = readPng(png);
    expect(planes.channels).toBe(1);
    expect(Array.from(planes.data)).toEqual(Array.from(back.data));
  });

  it("'auto' stretches to the data range; fixed ranges clip; NaN becomes 0", () => {
    const data = new Float32Array([-2, 0, 2, NaN, Infinity]);
    const auto = readPngAsGray(writeGrayPng(data, 1, 5, 'auto'));
    expect(Array.from(auto.data)).toEqual([0, 128 / 255, 1, 0, 1].map(Math.fround));
    const clipped = readPngAsGray(writeGrayPng(data, 5, 1, { min: 0, max: 1 }));
    expect(clipped.shape).toEqual([5, 1]);
    expect(Array.from(clipped.data)).toEqual([0, 0, 1, 0, 1]);
    const constant = readPngAsGray(writeGrayPng(new Float32Array(4).fill(3), 2, 2));
    expect(Array.from(constant.data)).toEqual([0, 0, 0, 0]);
    expect(() => writeGrayPng(new Float32Array(3), 2, 2)).toThrow(/expected 4 values/);
  });

  it('converts RGB(A) to BT.601 luma and ignores alpha', () => {
    const rgba = [255, 0, 0, 255, 0, 255, 0, 10, 0, 0, 255, 0, 200, 100, 50, 128];
    const gray = readPngAsGray(encode(2, 2, rgba, 6));
    const expected = [0.299, 0.587, 0.114, (0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255];
    gray.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    const planes = readPng(encode(2, 2, rgba, 6), 'rgba.png');
    expect(planes).toMatchObject({ height: 2, width: 2, channels: 4 });
    // [C, H, W]: the red plane first, the alpha plane last
    expect(Array.from(planes.data.subarray(0, 4))).toEqual([1, 0, 0, 200 / 255].map(Math.fround));
    expect(Array.from(planes.data.subarray(12, 16))).toEqual([1, 10 / 255, 0, 128 / 255].map(Math.fround));
    expect(readPng(encode(2, 2, rgba, 2)).channels).toBe(3);
    expect(readPng(encode(2, 2, rgba, 4)).channels).toBe(2);
  });

  it('keeps full precision of 16-bit images', () => {
    const values = [0, 1, 32768, 65535];
    const rgba = values.flatMap((v) => [v, v, v, 65535]);
    const gray = readPngAsGray(encode(4, 1, rgba, 0, 16));
    expect(Array.from(gray.data)).toEqual(values.map((v) => Math.fround(v / 65535)));
    const rgb = readPng(encode(4, 1, rgba, 2, 16));
    expect(rgb.channels).toBe(3);
    expect(rgb.data[1]).toBe(Math.fround(1 / 65535));
  });

  it('tiles images into a padded grid, optionally normalising each tile', () => {
    const a = new Float32Array([0, 1, 2, 3]);
    const b = new Float32Array([10, 10, 10, 10]);
    const c = new Float32Array([-1, 1, -1, 1]);
    const grid = tileGrayImages([a, b, c], 2, 2, 2, 1, { padValue: -5 });
    expect(grid.shape).toEqual([7, 7]);
    const at = (y: number, x: number) => grid.data[y * 7 + x];
    expect([at(1, 1), at(1, 2), at(2, 1), at(2, 2)]).toEqual([0, 1, 2, 3]);
    expect([at(1, 4), at(2, 5)]).toEqual([10, 10]);
    expect([at(4, 1), at(4, 2), at(5, 1)]).toEqual([-1, 1, -1]);
    expect([at(0, 0), at(3, 3), at(4, 4), at(6, 6)]).toEqual([-5, -5, -5, -5]);
    const norm = tileGrayImages([a, b, c], 2, 2, 3, 0, { normalize: true });
    expect(norm.shape).toEqual([2, 6]);
    expect(Array.from(norm.data)).toEqual([0, 1 / 3, 0.5, 0.5, 0, 1, 2 / 3, 1, 0.5, 0.5, 0, 1].map(Math.fround));
    expect(tileGrayImages([], 2, 2, 4, 1).shape).toEqual([0, 0]);
    expect(() => tileGrayImages([a], 3, 3, 1, 0)).toThrow(/expected 3x3/);
  });

  describe('hostile input', () => {
    const F = 'evil.png';
    it('bad signature', () => expectFormatError(() => readPngAsGray(ascii('GIF89a.........'), F), F, /not a PNG file: bad signature/));
    it('truncated file', () => {
      const png = writeGrayPng(new Float32Array(64).fill(0.5), 8, 8);
      expectFormatError(() => readPngAsGray(png.subarray(0, 20), F), F, /truncated PNG/);
      expectFormatError(() => readPngAsGray(png.subarray(0, png.length - 20), F), F, /truncated PNG: chunk 'IDAT' runs past the end/);
      expectFormatError(() => readPngAsGray(png.subarray(0, png.length - 12), F), F, /invalid PNG/); // no IEND
    });
    it('absurd dimensions are refused before decoding', () => {
      const png = concat(SIG, ihdr(1_000_000, 1_000_000, 8, 0, 0), chunk('IEND', new Uint8Array(0)));
      expectFormatError(() => readPng(png, F), F, /1000000x1000000 = 1000000000000 pixels; more than 2\^27/);
    });
    it('corrupt image data', () => {
      const png = concat(SIG, ihdr(4, 4, 8, 0, 0), chunk('IDAT', ascii('definitely not zlib')), chunk('IEND', new Uint8Array(0)));
      expectFormatError(() => readPngAsGray(png, F), F, /invalid PNG: corrupt or missing image data/);
    });
    it('image data shorter than the header implies (pngjs alone would return black pixels)', () => {
      const png = concat(SIG, ihdr(4, 4, 8, 0, 0), chunk('IDAT', deflateSync(Buffer.alloc(5))), chunk('IEND', new Uint8Array(0)));
      expectFormatError(() => readPngAsGray(png, F), F, /image data holds 5 bytes, its header implies 20/);
    });
    it('bad chunk CRC', () => {
      const png = writeGrayPng(new Float32Array(4), 2, 2);
      png[png.length - 13] ^= 1; // last byte of the IDAT CRC
      expectFormatError(() => readPngAsGray(png, F), F, /invalid PNG: chunk 'IDAT' fails its CRC check/);
    });
    it('interlaced image whose data inflates far beyond its size (bomb)', () => {
      const idat = deflateSync(Buffer.alloc(20 << 20));
      const png = concat(SIG, ihdr(4, 4, 8, 0, 1), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0)));
      expectFormatError(() => readPngAsGray(png, F), F, /expands beyond the \d+ bytes its header implies/);
    });
  });
});
