import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, devPage, externalLink, filePage, isAppPage } from './security';

const index = path.resolve('/opt/Sparseland Studio/resources/app.asar/out/renderer/index.html');
const page = filePage(index);
const pageUrl = pathToFileURL(index).toString();

describe('isAppPage (IPC sender and navigation checks)', () => {
  it('accepts the built page, with or without query and fragment', () => {
    expect(isAppPage(page, pageUrl)).toBe(true);
    expect(isAppPage(page, `${pageUrl}?x=1#/runs/abc`)).toBe(true);
  });

  it('refuses other files, other schemes and garbage', () => {
    expect(isAppPage(page, pathToFileURL(path.join(path.dirname(index), 'other.html')).toString())).toBe(false);
    expect(isAppPage(page, pathToFileURL('/etc/passwd').toString())).toBe(false);
    expect(isAppPage(page, 'https://example.com/out/renderer/index.html')).toBe(false);
    expect(isAppPage(page, 'about:blank')).toBe(false);
    expect(isAppPage(page, '')).toBe(false);
    expect(isAppPage(page, undefined)).toBe(false);
    expect(isAppPage(page, 'not a url')).toBe(false);
  });

  it('in development accepts the dev server’s page only', () => {
    const dev = devPage('http://localhost:5173');
    expect(isAppPage(dev, 'http://localhost:5173/')).toBe(true);
    expect(isAppPage(dev, 'http://localhost:5173/index.html')).toBe(true);
    expect(isAppPage(dev, 'http://localhost:5174/')).toBe(false);
    expect(isAppPage(dev, 'http://127.0.0.1:5173/')).toBe(false);
    expect(isAppPage(dev, 'https://localhost:5173/')).toBe(false);
    expect(isAppPage(dev, 'http://localhost:5173/elsewhere.html')).toBe(false);
  });

  it('trusts only a local plain-http dev server', () => {
    expect(() => devPage('http://127.0.0.1:5173/')).not.toThrow();
    expect(() => devPage('https://evil.example/')).toThrow(/localhost/);
    expect(() => devPage('http://evil.example:5173/')).toThrow(/localhost/);
    expect(() => devPage('http://user:pw@localhost:5173/')).toThrow(/localhost/);
    expect(() => devPage('localhost:5173')).toThrow();
  });
});

describe('externalLink (links opened in the system browser)', () => {
  it('passes http(s) links, normalised', () => {
    expect(externalLink('https://arxiv.org/abs/1607.08194')).toBe('https://arxiv.org/abs/1607.08194');
    expect(externalLink('http://example.com')).toBe('http://example.com/');
  });

  it('refuses every other scheme, credentials and absurd lengths', () => {
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,hi', 'smb://host/share', 'vscode://x', 'https://user:pw@example.com/', 'https://', 'relative/path', `https://example.com/${'a'.repeat(3000)}`]) {
      expect(externalLink(bad), bad).toBeUndefined();
    }
  });
});

describe('contentSecurityPolicy', () => {
  const directives = (policy: string) => new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));

  it('allows scripts from the app only: no inline script, no eval, no plugins, no framing', () => {
    const csp = directives(contentSecurityPolicy(page));
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(contentSecurityPolicy(page)).not.toMatch(/unsafe-eval|\*/);
  });

  it('in development adds only the dev server’s HMR socket and inline styles', () => {
    const csp = directives(contentSecurityPolicy(devPage('http://localhost:5173')));
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'", 'ws://localhost:5173']);
    expect(csp.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
  });
});
