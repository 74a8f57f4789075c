/**
 * The security decisions of the Electron shell as plain functions (no Electron import, so they are unit-tested
 * without the binary): which page is the app's own, which links may open in the system browser, and the
 * Content-Security-Policy sent with every response.
 */
import { pathToFileURL } from 'node:url';

/** The app's one page: the built index.html (file:) or, in development, the Vite dev server. */
export interface AppPage {
  readonly kind: 'file' | 'dev';
  readonly url: URL;
}

export function filePage(indexHtml: string): AppPage {
  return { kind: 'file', url: pathToFileURL(indexHtml) };
}

/**
 * The dev server electron-vite names in ELECTRON_RENDERER_URL. Only a plain-http server on this machine is
 * accepted: anything else in that variable would make the app load and trust a remote page.
 */
export function devPage(rendererUrl: string): AppPage {
  let url: URL;
  try {
    url = new URL(rendererUrl);
  } catch {
    throw new Error(`ELECTRON_RENDERER_URL is not a URL: ${rendererUrl}`);
  }
  if (url.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || url.username || url.password) {
    throw new Error(`ELECTRON_RENDERER_URL must be an http://localhost address of the dev server, not ${rendererUrl}`);
  }
  return { kind: 'dev', url };
}

const normalPath = (p: string) => decodeURIComponent(p).replace(/\/index\.html$/, '/');

/** True when `candidate` is the app's page itself (query and fragment aside), not just any page on its origin. */
export function isAppPage(page: AppPage, candidate: string | undefined): boolean {
  if (!candidate) return false;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (url.protocol !== page.url.protocol || url.host !== page.url.host) return false;
  // file: URLs all share the opaque origin "null"; the path is what names the page.
  if (page.kind === 'dev' && url.origin !== page.url.origin) return false;
  try {
    return normalPath(url.pathname) === normalPath(page.url.pathname);
  } catch {
    return false;
  }
}

/**
 * A link the user may follow in the system browser: http(s) only, with a host, without credentials, of sane
 * length. Returns the normalised URL, or undefined for anything else (file:, javascript:, custom schemes).
 */
export function externalLink(raw: string): string | undefined {
  if (typeof raw !== 'string' || raw.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (!url.hostname || url.username || url.password) return undefined;
  return url.toString();
}

/**
 * The policy sent as a response header for every load, on top of the page's own <meta> policy (both apply;
 * the header also covers `frame-ancestors`, which a <meta> cannot). Scripts only from the app itself: no
 * inline script, no eval. In development the Vite dev server needs inline styles and its HMR WebSocket.
 */
export function contentSecurityPolicy(page: AppPage): string {
  const dev = page.kind === 'dev';
  const devSocket = dev ? ` ws://${page.url.host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    dev ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${devSocket}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

