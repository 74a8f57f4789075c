import { describe, expect, it } from 'vitest';
import { fnv1a, RUN_COLORS, runColor, runColorIndex, withAlpha } from './run-colors';

describe('run colours', () => {
  it('FNV-1a matches the reference values', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('gives a run the same colour whatever other runs exist or in which order they come', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `2026-01-0${(i % 9) + 1}T10-00-00-run${i}`);
    const alone = ids.map((id) => runColor(id));
    const withMore = [...ids, 'another', 'and-another'].reverse().map((id) => [id, runColor(id)] as const);
    const byId = new Map(withMore);
    ids.forEach((id, i) => expect(byId.get(id)).toBe(alone[i]));
  });

  it('spreads ids over the whole palette', () => {
    const used = new Set<number>();
    for (let i = 0; i < 500; i++) used.add(runColorIndex(`run-${i}`));
    expect(used.size).toBe(RUN_COLORS.length);
  });

  it('uses distinct #rrggbb colours', () => {
    expect(new Set(RUN_COLORS).size).toBe(RUN_COLORS.length);
    for (const c of RUN_COLORS) expect(c).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('adds an alpha channel', () => {
    expect(withAlpha('#3b7ddd', 0.25)).toBe('#3b7ddd40');
    expect(withAlpha('#3b7ddd', 2)).toBe('#3b7dddff');
    expect(() => withAlpha('blue', 0.5)).toThrow(/#rrggbb/);
  });
});
