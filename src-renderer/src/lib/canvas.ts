/** Puts RGBA bytes on a canvas at their own resolution (CSS scales it up, pixelated). */
export function drawRGBA(canvas: HTMLCanvasElement, rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height: number): void {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx || width === 0 || height === 0) return;
  ctx.putImageData(new ImageData(rgba, width, height), 0, 0);
}
