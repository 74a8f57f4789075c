/**
 * The built renderer, served read-only: files only (never a listing), never outside the folder (after
 * decoding and after following symlinks), with an honest Content-Type so nosniff cannot break a script.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export function sendText(res: ServerResponse, status: number, text: string, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.byteLength, 'Cache-Control': 'no-store', ...extraHeaders });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** The renderer counts as built when its entry page exists; checked per request so a build made while serving is picked up. */
export async function rendererBuilt(staticDir: string): Promise<boolean> {
  return isFile(path.join(staticDir, 'index.html'));
}

export function notBuiltText(staticDir: string): string {
  return [
    'Sparseland Studio: the renderer is not built.',
    '',
    `The server looked for it in ${staticDir}, which has no index.html.`,
    'Build it from the repository root with:',
    '',
    '    npm run build',
    '',
    'then reload this page (the server picks the build up without a restart).',
  ].join('\n');
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/**
 * Maps a request path to a file inside `root`, or says why not. `root` must already be a real path (no
 * symlinks), so the prefix check after realpath() cannot be fooled by a link inside the folder.
 */
export async function resolveStaticPath(root: string, pathname: string): Promise<{ file: string } | { status: 403 | 404 }> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { status: 404 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 403 };
  if (decoded === '/' || decoded === '') decoded = '/index.html';
  const segments = decoded.split('/').filter(Boolean);
  // '..' would climb out; dot-files (.env, .git) are never part of a build.
  if (segments.some((s) => s.startsWith('.'))) return { status: segments.some((s) => s === '..') ? 403 : 404 };
  const candidate = path.resolve(root, ...segments);
  if (!isInside(root, candidate)) return { status: 403 };
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return { status: 404 };
  }
  if (!isInside(root, real)) return { status: 403 };
  if (!(await isFile(real))) return { status: 404 };
  return { file: real };
}

export async function serveStatic(req: IncomingMessage, res: ServerResponse, staticDir: string, pathname: string): Promise<void> {
  let root: string;
  try {
    root = await realpath(staticDir);
  } catch {
    return sendText(res, 503, notBuiltText(staticDir));
  }
  if (!(await rendererBuilt(root))) return sendText(res, 503, notBuiltText(staticDir));
  const target = await resolveStaticPath(root, pathname);
  if ('status' in target) return sendText(res, target.status, target.status === 403 ? 'Forbidden.' : 'Not found.');
  const info = await stat(target.file);
  const isIndex = target.file === path.join(root, 'index.html');
  // Vite puts content-hashed files under assets/: their name changes when they do. The entry page must
  // never be cached, or a rebuilt renderer would load stale asset names. "private": these responses are
  // behind the token.
  const cache = isIndex ? 'no-store' : isInside(path.join(root, 'assets'), target.file) ? 'private, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, { 'Content-Type': contentTypeOf(target.file), 'Content-Length': info.size, 'Cache-Control': cache });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(target.file), res);
  } catch {
    // The client went away or the file vanished mid-read; the response is already torn down.
    res.destroy();
  }
}
