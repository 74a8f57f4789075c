/**
 * The baseline the benchmark compares with: the conv pair written as plain nested loops in TypeScript over
 * Float32Arrays, the way a first implementation would be, stride 1, zero padding p.
 */
export function naiveAnalysis(x: Float32Array, h: number, w: number, weights: Float32Array, m: number, k: number, pad: number): Float32Array {
  const ho = h + 2 * pad - k + 1;
  const wo = w + 2 * pad - k + 1;
  const out = new Float32Array(m * ho * wo);
  for (let f = 0; f < m; f++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) {
        let s = 0;
        for (let u = 0; u < k; u++) {
          const y = i + u - pad;
          if (y < 0 || y >= h) continue;
          for (let v = 0; v < k; v++) {
            const xx = j + v - pad;
            if (xx >= 0 && xx < w) s += x[y * w + xx]! * weights[(f * k + u) * k + v]!;
          }
        }
        out[(f * ho + i) * wo + j] = s;
      }
  return out;
}

export function naiveSynthesis(gamma: Float32Array, ho: number, wo: number, weights: Float32Array, m: number, k: number, pad: number, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w);
  for (let f = 0; f < m; f++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) {
        const g = gamma[(f * ho + i) * wo + j]!;
        for (let u = 0; u < k; u++) {
          const y = i + u - pad;
          if (y < 0 || y >= h) continue;
          for (let v = 0; v < k; v++) {
            const xx = j + v - pad;
            if (xx >= 0 && xx < w) out[y * w + xx] = out[y * w + xx]! + g * weights[(f * k + u) * k + v]!;
          }
        }
      }
  return out;
}
