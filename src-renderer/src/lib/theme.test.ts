import { describe, expect, it } from 'vitest';
import { initialTheme, paletteFor } from './theme';

describe('theme', () => {
  it('uses a stored choice, else the system preference', () => {
    expect(initialTheme('dark', false)).toBe('dark');
    expect(initialTheme('light', true)).toBe('light');
    expect(initialTheme(null, true)).toBe('dark');
    expect(initialTheme('purple', false)).toBe('light');
  });

  it('gives each theme its own readable chart colours', () => {
    const light = paletteFor('light');
    const dark = paletteFor('dark');
    expect(light.text).not.toBe(dark.text);
    expect(light.series.length).toBeGreaterThanOrEqual(3);
    expect(new Set(dark.series).size).toBe(dark.series.length);
  });
});
