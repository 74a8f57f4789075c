import { encode } from 'bmp-ts';
import { describe, expect, it } from 'vitest';
import { probeBmp, readBmp } from './bmp';
import { expectFormatError } from './test-helpers';

const F = 'pic.bmp';

/** bmp-ts takes pixels as A, B, G, R bytes. */
function encodeRgb(width: number, height: number, rgb: (x: number, y: number) => [number, number, number], bitPP = 24): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = rgb(x, y);
      data.set([0, b, g, r], 4 * (y * width + x));
    }
  return new Uint8Array(encode({ width, height, data, bitPP }).data);
}

function setI32(b: Uint8Array, o: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setInt32(o, v, true);
}

describe('bmp', () => {
  it('round trip through bmp-ts encode (24-bit, odd width so rows are padded)', () => {
    const f = (x: number, y: number): [number, number, number] => [x * 40, y * 50, 200 - x * 10];
    const file = encodeRgb(5, 3, f);
    const img = readBmp(file, F);
    expect(img).toMatchObject({ width: 5, height: 3, channels: 3 });
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 5; x++) {
        const [r, g, b] = f(x, y);
        expect([0, 1, 2].map((c) => Math.round(img.data[c * 15 + y * 5 + x]! * 255))).toEqual([r, g, b]);
      }
  });

  it('32-bit and top-down images, gray palettes give one channel', () => {
    const file32 = encodeRgb(3, 2, (x, y) => [x * 100, y * 100, 7], 32);
    const img = readBmp(file32, F);
    expect(img.channels).toBe(3);
    expect(Math.round(img.data[5]! * 255)).toBe(200); // R of (2, 1)
    // Hand-built 8-bit gray-palette, top-down 2x2 image.
    const pal = new Uint8Array(256 * 4);
    for (let i = 0; i < 256; i++) pal.set([i, i, i, 0], 4 * i);
    const header = new Uint8Array(54);
    const dv = new DataView(header.buffer);
    header.set([0x42, 0x4d]);
    dv.setUint32(10, 54 + pal.length, true);
    dv.setUint32(14, 40, true);
    dv.setInt32(18, 2, true);
    dv.setInt32(22, -2, true);
    dv.setUint16(26, 1, true);
    dv.setUint16(28, 8, true);
    const pixels = new Uint8Array([0, 255, 0, 0, 51, 102, 0, 0]);
    const file = new Uint8Array([...header, ...pal, ...pixels]);
    expect(probeBmp(file, F)).toMatchObject({ topDown: true, channels: 1 });
    expect(Array.from(readBmp(file, F).data, (v) => Math.round(v * 255))).toEqual([0, 255, 51, 102]);
  });

  it('refuses lying headers before allocating', () => {
    const file = encodeRgb(4, 4, () => [1, 2, 3]);
    const neg = file.slice();
    setI32(neg, 18, -4);
    expectFormatError(() => readBmp(neg, F), F, /width -4/);
    const big = file.slice();
    setI32(big, 18, 100000);
    setI32(big, 22, 100000);
    expectFormatError(() => readBmp(big, F), F, /pixels; more than 2\^28/);
    const tall = file.slice();
    setI32(tall, 22, 400);
    expectFormatError(() => readBmp(tall, F), F, /truncated BMP/);
    const rle = file.slice();
    setI32(rle, 30, 1);
    expectFormatError(() => readBmp(rle, F), F, /RLE8/);
    expectFormatError(() => readBmp(file.subarray(0, 20), F), F, /truncated BMP/);
  });
});
