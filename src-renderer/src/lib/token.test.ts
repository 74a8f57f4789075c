import { describe, expect, it } from 'vitest';
import { socketUrl, takeToken, TOKEN_KEY, type TokenStorage } from './token';

function memory(initial: Record<string, string> = {}): TokenStorage & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('takeToken', () => {
  it('takes the token from the URL, remembers it and strips only that parameter', () => {
    const s = memory();
    const r = takeToken('http://127.0.0.1:5000/?project=a&token=s3cr%2Bt#runs', s);
    expect(r).toEqual({ token: 's3cr+t', cleanUrl: 'http://127.0.0.1:5000/?project=a#runs', from: 'url' });
    expect(s.data.get(TOKEN_KEY)).toBe('s3cr+t');
  });

  it('falls back to the session after the address bar was cleaned (reload)', () => {
    const s = memory({ [TOKEN_KEY]: 'abc' });
    expect(takeToken('http://localhost:1234/', s)).toEqual({ token: 'abc', cleanUrl: 'http://localhost:1234/', from: 'session' });
  });

  it('prefers a new token in the URL over a stale one in the session', () => {
    const s = memory({ [TOKEN_KEY]: 'old' });
    expect(takeToken('http://h/?token=new', s).token).toBe('new');
    expect(s.data.get(TOKEN_KEY)).toBe('new');
  });

  it('reports no token, and survives storage that throws', () => {
    const broken: TokenStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(takeToken('http://h/', broken)).toEqual({ token: null, cleanUrl: 'http://h/', from: 'none' });
    expect(takeToken('http://h/?token=t', broken).token).toBe('t');
    expect(takeToken('http://h/?token=', undefined).from).toBe('none');
  });
});

describe('socketUrl', () => {
  it('uses ws for http and wss for https, on the page host, with the token encoded', () => {
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, 'a b&c')).toBe('ws://127.0.0.1:8080/ws?token=a%20b%26c');
    expect(socketUrl({ protocol: 'https:', host: 'example.org' }, 't')).toBe('wss://example.org/ws?token=t');
    expect(socketUrl({ protocol: 'http:', host: 'h' }, null)).toBe('ws://h/ws');
  });
});
