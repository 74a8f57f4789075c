/** Turns whatever was thrown (a StudioError, an Error from the preload bridge, a bare shape) into words for the user. */

export interface ErrorInfo {
  readonly message: string;
  readonly code?: string;
  readonly where?: string;
}

export function describeError(err: unknown): ErrorInfo {
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; code?: unknown; where?: unknown };
    const message = typeof e.message === 'string' && e.message ? e.message : String(err);
    const info: { message: string; code?: string; where?: string } = { message: stripIpcPrefix(message) };
    if (typeof e.code === 'string') info.code = e.code;
    if (typeof e.where === 'string') info.where = e.where;
    return info;
  }
  return { message: String(err) };
}

/** Electron wraps errors from ipcRenderer.invoke as "Error invoking remote method 'x': Error: …"; the user needs only the end. */
function stripIpcPrefix(message: string): string {
  const m = /^Error invoking remote method '[^']*': (?:\w*Error: )?(.*)$/s.exec(message);
  return m ? m[1]! : message;
}
