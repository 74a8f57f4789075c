import * as jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { probeJpeg, readJpeg } from './jpeg';
import { expectFormatError } from './test-helpers';

const F = 'photo.jpg';

/** A smooth colour gradient, encoded by jpeg-js at high quality. */
function gradient(width: number, height: number): { rgba: Uint8Array; file: Uint8Array } {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = 4 * (y * width + x);
      rgba[o] = Math.round((255 * x) / (width - 1));
      rgba[o + 1] = Math.round((255 * y) / (height - 1));
      rgba[o + 2] = 128;
      rgba[o + 3] = 255;
    }
  return { rgba, file: new Uint8Array(jpeg.encode({ data: rgba, width, height }, 95).data) };
}

/** Offset of the first SOFn segment's marker. */
function sofOffset(b: Uint8Array): number {
  for (let i = 2; i + 1 < b.length; i++) if (b[i] === 0xff && b[i + 1]! >= 0xc0 && b[i + 1]! <= 0xc2) return i;
  throw new Error('no SOF');
}

describe('jpeg', () => {
  it('round trip through jpeg-js encode: planes in [0, 1] close to the source', () => {
    const { rgba, file } = gradient(24, 16);
    expect(probeJpeg(file, F)).toMatchObject({ width: 24, height: 16, components: 3 });
    const img = readJpeg(file, F);
    expect(img).toMatchObject({ width: 24, height: 16, channels: 3 });
    const plane = 24 * 16;
    let err = 0;
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) err = Math.max(err, Math.abs(img.data[c * plane + i]! - rgba[4 * i + c]! / 255));
    expect(err).toBeLessThan(0.08);
    expect(Math.min(...img.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...img.data)).toBeLessThanOrEqual(1);
  });

  it('refuses truncation, absurd and unsupported frames before decoding', () => {
    const { file } = gradient(16, 16);
    expectFormatError(() => readJpeg(file.subarray(0, file.length - 40), F), F, /truncated JPEG/);
    expectFormatError(() => readJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), F), F, /no frame header/);
    expectFormatError(() => readJpeg(new Uint8Array([1, 2, 3]), F), F, /not a JPEG file/);
    const s = sofOffset(file);
    const huge = file.slice();
    huge.set([0xff, 0xff, 0xff, 0xff], s + 5); // height, width = 65535
    expectFormatError(() => readJpeg(huge, F), F, /65535x65535 = 4294836225 pixels; more than 2\^27/);
    const zero = file.slice();
    zero.set([0, 0], s + 5);
    expectFormatError(() => readJpeg(zero, F), F, /16x0 image/);
    const arith = file.slice();
    arith[s + 1] = 0xc9;
    expectFormatError(() => readJpeg(arith, F), F, /arithmetic-coded sequential/);
  });
});
