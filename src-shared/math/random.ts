/** Seeded pseudo-random numbers, so every synthetic signal, initial dictionary and noise draw is reproducible. */

/** mulberry32: a 32-bit state generator, fast and good enough for sampling test data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by the Box–Muller transform. */
export function gaussian(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export function randn(count: number, seed: number): Float32Array {
  const g = gaussian(mulberry32(seed));
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = g();
  return out;
}

/**
 * mulberry32 with a draw counter: its state is (seed, draws) and is restored by replaying that many draws, so a
 * learner's randomness can be checkpointed as two numbers and resumed exactly.
 */
export class CountingRandom {
  private readonly next: () => number;
  private count = 0;

  constructor(
    readonly seed: number,
    draws = 0,
  ) {
    this.next = mulberry32(seed);
    for (let i = 0; i < draws; i++) this.uniform();
  }

  uniform(): number {
    this.count++;
    return this.next();
  }

  get draws(): number {
    return this.count;
  }

  /** `k` distinct indices of [0, n) in draw order: a partial Fisher–Yates shuffle over a sparse swap table (O(k)). */
  sample(n: number, k: number): number[] {
    const swapped = new Map<number, number>();
    const out: number[] = [];
    for (let i = 0; i < Math.min(k, n); i++) {
      const j = i + Math.floor(this.uniform() * (n - i));
      const vj = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      out.push(vj);
    }
    return out;
  }
}
