import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32';
import { ascii } from './test-helpers';

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
