/** Small pure image operations on row-major grayscale Float32Arrays. */

/** Averages non-overlapping f×f blocks (box downsampling), dropping remainder rows/columns. */
export function downsample(data: Float32Array, height: number, width: number, factor: number): { data: Float32Array; height: number; width: number } {
  const h = Math.floor(height / factor);
  const w = Math.floor(width / factor);
  const out = new Float32Array(h * w);
  const scale = 1 / (factor * factor);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      let s = 0;
      for (let u = 0; u < factor; u++) for (let v = 0; v < factor; v++) s += data[(i * factor + u) * width + j * factor + v]!;
      out[i * w + j] = s * scale;
    }
  return { data: out, height: h, width: w };
}

/** Separable Gaussian blur with edge replication; σ in pixels, kernel truncated at 3σ. */
export function gaussianBlur(data: Float32Array, height: number, width: number, sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += kernel[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] = kernel[i]! / sum;
  const clamp = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  const tmp = new Float32Array(data.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += kernel[k + r]! * data[y * width + clamp(x + k, width - 1)]!;
      tmp[y * width + x] = s;
    }
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += kernel[k + r]! * tmp[clamp(y + k, height - 1) * width + x]!;
      out[y * width + x] = s;
    }
  return out;
}

/**
 * High-pass image = image − low-pass image, the usual CSC preprocessing (SPORCO removes a Tikhonov
 * low-pass; a Gaussian low-pass plays the same role): sparse codes then model edges and texture only.
 */
export function highPass(data: Float32Array, height: number, width: number, sigma = 4): Float32Array {
  const low = gaussianBlur(data, height, width, sigma);
  return data.map((v, i) => v - low[i]!);
}
