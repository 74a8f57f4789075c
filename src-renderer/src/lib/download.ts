/**
 * Saving what the workbench made (a chart's PNG, its CSV) as a file: an <a download> pointing at a blob: URL.
 * A blob rather than a long data: URL, which Chromium may refuse to download; this works in a browser tab,
 * headless Chromium and Electron (which asks where to save). Nothing is inlined, so the CSP is unaffected.
 */

/** The bytes of a base64 data: URL (what ECharts' getDataURL returns) as a Blob of its media type. */
export function dataUrlToBlob(url: string): Blob {
  const m = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(url);
  if (!m) throw new Error('not a data: URL');
  const type = m[1] || 'application/octet-stream';
  if (!m[2]) return new Blob([decodeURIComponent(m[3]!)], { type });
  const binary = atob(m[3]!);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type });
}

/** Offers `blob` as a download named `fileName`. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later, not at once: the download starts after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function saveText(text: string, fileName: string, type = 'text/csv;charset=utf-8'): void {
  saveBlob(new Blob([text], { type }), fileName);
}

export function saveDataUrl(url: string, fileName: string): void {
  saveBlob(dataUrlToBlob(url), fileName);
}
