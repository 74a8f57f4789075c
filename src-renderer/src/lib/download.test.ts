import { describe, expect, it } from 'vitest';
import { dataUrlToBlob } from './download';

describe('dataUrlToBlob', () => {
  it('decodes a base64 PNG data URL to its bytes and type', async () => {
    const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    const url = `data:image/png;base64,${btoa(String.fromCharCode(...png))}`;
    const blob = dataUrlToBlob(url);
    expect(blob.type).toBe('image/png');
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual(png);
  });

  it('decodes a percent-encoded data URL and refuses anything else', async () => {
    const blob = dataUrlToBlob('data:text/plain,a%2Cb');
    expect(await blob.text()).toBe('a,b');
    expect(() => dataUrlToBlob('blob:x')).toThrow('not a data: URL');
  });
});
