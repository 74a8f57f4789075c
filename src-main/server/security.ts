/**
 * The checks that stand between a browser tab and the host: the launch token, the Host and Origin
 * allow-lists, and the headers every response carries. Kept apart from the server so each rule can be read
 * (and tested) on its own.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import os from 'node:os';

/** 24 random bytes: as strong as Jupyter's token, short enough to paste. */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time comparison of a presented token with the launch token. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  // Digests have equal lengths, which timingSafeEqual needs, so the token's length cannot leak through an early exit.
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * Cookies ignore ports, so two servers on one machine would overwrite each other's cookie under a shared
 * name; the port keeps them apart.
 */
export function tokenCookieName(port: number): string {
  return `sparseland-token-${port}`;
}

export function tokenCookie(port: number, token: string): string {
  // HttpOnly: page scripts (and anything injected into them) never see it. SameSite=Strict: no other site
  // can make the browser send it. No Max-Age: it ends with the browser session, as the token ends with the server.
  return `${tokenCookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** True when the request presents the token, in `?token=` or in the cookie; reports which. */
export function presentedToken(req: IncomingMessage, url: URL, port: number, token: string): 'query' | 'cookie' | undefined {
  const query = url.searchParams.get('token');
  if (query !== null && tokenMatches(query, token)) return 'query';
  const cookie = parseCookies(req.headers.cookie).get(tokenCookieName(port));
  if (cookie !== undefined && tokenMatches(cookie, token)) return 'cookie';
  return undefined;
}

export function isWildcardAddress(bind: string): boolean {
  return bind === '0.0.0.0' || bind === '::' || bind === '[::]' || bind === '';
}

export function isLoopbackAddress(bind: string): boolean {
  const b = bind.toLowerCase().replace(/^\[|\]$/g, '');
  if (b === 'localhost' || b === '::1') return true;
  if (b.startsWith('::ffff:')) return isLoopbackAddress(b.slice(7));
  return isIP(b) === 4 && b.startsWith('127.');
}

/** `host` as it appears in a URL or a Host header: IPv6 literals in brackets. */
export function urlHostname(address: string): string {
  const a = address.replace(/^\[|\]$/g, '');
  return isIP(a) === 6 ? `[${a}]` : a;
}

/**
 * The Host header values that name this server. A browser tricked by DNS rebinding sends the attacker's
 * name here, so anything else is refused. Binding to every interface adds the machine's own addresses
 * and name, the ones a user on the network would type.
 */
export function allowedHosts(bind: string, port: number): Set<string> {
  const names = new Set<string>(['127.0.0.1', 'localhost']);
  if (isWildcardAddress(bind)) {
    names.add('[::1]');
    names.add(os.hostname().toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) {
      for (const nic of list ?? []) {
        // Scoped link-local addresses (fe80::…%eth0) cannot be typed into a browser's address bar.
        if (!nic.address.includes('%')) names.add(urlHostname(nic.address).toLowerCase());
      }
    }
  } else {
    names.add(urlHostname(bind).toLowerCase());
  }
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${port}`);
    // Browsers leave the default port out of the Host header.
    if (port === 80) hosts.add(name);
  }
  return hosts;
}

/** The origins of pages this server itself served: the only pages allowed to open the WebSocket. */
export function allowedOrigins(hosts: ReadonlySet<string>): Set<string> {
  return new Set([...hosts].map((h) => `http://${h}`));
}

export function hostAllowed(header: string | undefined, hosts: ReadonlySet<string>): boolean {
  return header !== undefined && hosts.has(header.toLowerCase());
}

export function originAllowed(header: string | undefined, origins: ReadonlySet<string>): boolean {
  // A missing Origin means a non-browser client or a stripped header; neither is a page this server served.
  return header !== undefined && origins.has(header.toLowerCase());
}

/**
 * The renderer's policy: its own scripts and styles only, the WebSocket back to this server, images from
 * canvases (data:/blob:), never framed. base-uri and form-action close the two gaps default-src leaves.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // For browsers that predate frame-ancestors.
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
