import { describe, expect, it } from 'vitest';
import { configDiff, flattenConfig, formatLeaf, visibleDiffRows } from './config-diff';

const ksvd = { method: 'ksvd', data: { kind: 'sample', name: 'camera', downsample: 8 }, params: { atoms: 32, sigma: 25 }, iterations: 10, seed: 0 };
const ksvd64 = { method: 'ksvd', data: { kind: 'sample', name: 'camera', downsample: 8 }, params: { atoms: 64, sigma: 25 }, iterations: 10, seed: 0 };
const mlcsc = { method: 'mlcsc', data: { kind: 'mnist', split: 'train', count: 64 }, params: { filters: [4, 8], tied: true }, iterations: 10, seed: 0 };

describe('flattenConfig', () => {
  it('flattens nested objects and arrays to dotted paths in order', () => {
    expect([...flattenConfig(mlcsc)]).toEqual([
      ['method', 'mlcsc'],
      ['data.kind', 'mnist'],
      ['data.split', 'train'],
      ['data.count', 64],
      ['params.filters.0', 4],
      ['params.filters.1', 8],
      ['params.tied', true],
      ['iterations', 10],
      ['seed', 0],
    ]);
  });

  it('keeps empty containers and nulls, drops undefined', () => {
    expect([...flattenConfig({ a: {}, b: [], c: null, d: undefined, e: [{ f: 1 }] })]).toEqual([
      ['a', '{}'],
      ['b', '[]'],
      ['c', null],
      ['e.0.f', 1],
    ]);
  });
});

describe('configDiff', () => {
  it('marks exactly the rows whose values differ', () => {
    const rows = configDiff([ksvd, ksvd64]);
    expect(rows.map((r) => r.path)).toEqual(['method', 'data.kind', 'data.name', 'data.downsample', 'params.atoms', 'params.sigma', 'iterations', 'seed']);
    expect(rows.filter((r) => r.differs).map((r) => r.path)).toEqual(['params.atoms']);
    expect(rows.find((r) => r.path === 'params.atoms')!.values).toEqual([32, 64]);
  });

  it('takes the union of paths; a path one run lacks is a difference', () => {
    const rows = configDiff([ksvd, mlcsc]);
    const atoms = rows.find((r) => r.path === 'params.atoms')!;
    expect(atoms.values).toEqual([32, undefined]);
    expect(atoms.differs).toBe(true);
    const filters = rows.find((r) => r.path === 'params.filters.1')!;
    expect(filters.values).toEqual([undefined, 8]);
    expect(rows.find((r) => r.path === 'seed')!.differs).toBe(false);
    // Union: every path of both, each once.
    expect(new Set(rows.map((r) => r.path)).size).toBe(rows.length);
    expect(rows.length).toBe(new Set([...flattenConfig(ksvd).keys(), ...flattenConfig(mlcsc).keys()]).size);
  });

  it('compares by value: 1 vs "1" and true vs 1 differ, NaN equals NaN', () => {
    expect(configDiff([{ a: 1 }, { a: '1' }])[0]!.differs).toBe(true);
    expect(configDiff([{ a: true }, { a: 1 }])[0]!.differs).toBe(true);
    expect(configDiff([{ a: Number.NaN }, { a: Number.NaN }])[0]!.differs).toBe(false);
    expect(configDiff([{ a: 0 }, { a: -0 }])[0]!.differs).toBe(false);
  });

  it('handles three runs where only the third differs', () => {
    const rows = configDiff([ksvd, ksvd, { ...ksvd, seed: 3 }]);
    expect(rows.filter((r) => r.differs).map((r) => [r.path, r.values])).toEqual([['seed', [0, 0, 3]]]);
  });

  it('shows all rows, or only the differing ones', () => {
    const rows = configDiff([ksvd, ksvd64]);
    expect(visibleDiffRows(rows, false)).toHaveLength(rows.length);
    expect(visibleDiffRows(rows, true).map((r) => r.path)).toEqual(['params.atoms']);
  });
});

describe('formatLeaf', () => {
  it('writes numbers in full and marks missing values', () => {
    expect(formatLeaf(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatLeaf(undefined)).toBe('—');
    expect(formatLeaf(null)).toBe('null');
    expect(formatLeaf(false)).toBe('false');
  });
});
