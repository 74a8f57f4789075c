/**
 * The headless server prints a URL with `?token=…`; the token authorises the WebSocket. It is kept in
 * sessionStorage so a reload still connects, and removed from the address bar so it is not left in the
 * history, in screenshots or in a copied link.
 */

export const TOKEN_KEY = 'sparseland.token';

/** The part of Storage this module needs (sessionStorage in the app, a Map-backed fake in tests). */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface TokenLookup {
  /** The token to present, or null when neither the URL nor the session has one. */
  readonly token: string | null;
  /** The page URL without the token parameter; equal to the input when there was nothing to strip. */
  readonly cleanUrl: string;
  /** Where the token came from. */
  readonly from: 'url' | 'session' | 'none';
}

/** Reads the token from `href` (preferred, and remembered) or from the session. Never throws on storage errors. */
export function takeToken(href: string, storage: TokenStorage | undefined): TokenLookup {
  const url = new URL(href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    url.searchParams.delete('token');
    try {
      storage?.setItem(TOKEN_KEY, fromUrl);
    } catch {
      // Storage can be disabled (private mode, policy); the token still works for this page load.
    }
    return { token: fromUrl, cleanUrl: url.toString(), from: 'url' };
  }
  let stored: string | null = null;
  try {
    stored = storage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    stored = null;
  }
  return { token: stored || null, cleanUrl: href, from: stored ? 'session' : 'none' };
}

/** The WebSocket address for a page served over http(s) at `location`. */
export function socketUrl(location: { protocol: string; host: string }, token: string | null): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}://${location.host}/ws${query}`;
}
