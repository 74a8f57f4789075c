import { describe, expect, it } from 'vitest';
import { mergePreview } from './preview';

const t = (n: number) => ({ dtype: 'float32' as const, shape: [n], data: new Float32Array(n) });

describe('mergePreview', () => {
  it('keeps atoms and input from the first preview when later ones carry only reconstructions', () => {
    const first = mergePreview(null, { runId: 'r1', atoms: [{ layer: 1, images: t(4) }], input: t(9) });
    const second = mergePreview(first, { runId: 'r1', atoms: [], reconstruction: t(9) });
    expect(second.atoms).toBe(first.atoms);
    expect(second.input).toBe(first.input);
    expect(second.reconstruction?.shape).toEqual([9]);
  });

  it('never mixes two runs', () => {
    const first = mergePreview(null, { runId: 'r1', atoms: [{ layer: 1, images: t(4) }], input: t(9) });
    const other = mergePreview(first, { runId: 'r2', atoms: [], reconstruction: t(9) });
    expect(other.atoms).toEqual([]);
    expect(other.input).toBeUndefined();
  });
});
