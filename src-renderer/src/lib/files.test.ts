import { describe, expect, it } from 'vitest';
import { breadcrumbs, extensionOf, IMAGE_OR_ARRAY, matchesFilter, visibleEntries, type Entry } from './files';

const f = (name: string, kind: Entry['kind'] = 'file'): Entry => ({ name, path: `/d/${name}`, kind });

describe('file browser helpers', () => {
  it('matches extensions case-insensitively and always keeps folders', () => {
    expect(extensionOf('Cat.PNG')).toBe('png');
    expect(extensionOf('.bashrc')).toBe('');
    expect(matchesFilter(f('a.npy'), IMAGE_OR_ARRAY)).toBe(true);
    expect(matchesFilter(f('a.npz'), IMAGE_OR_ARRAY)).toBe(false);
    expect(matchesFilter(f('data', 'directory'), IMAGE_OR_ARRAY)).toBe(true);
  });

  it('lists folders first, in natural order, hiding dot entries unless asked', () => {
    const entries = [f('img10.png'), f('img2.png'), f('zeta', 'directory'), f('.cache', 'directory'), f('alpha', 'directory'), f('notes.txt')];
    expect(visibleEntries(entries, IMAGE_OR_ARRAY, false).map((e) => e.name)).toEqual(['alpha', 'zeta', 'img2.png', 'img10.png']);
    expect(visibleEntries(entries, undefined, true).map((e) => e.name)).toEqual(['alpha', 'zeta', '.cache', 'img2.png', 'img10.png', 'notes.txt']);
  });

  it('splits POSIX and Windows paths into clickable segments', () => {
    expect(breadcrumbs('/home/ada/data')).toEqual([
      { label: '/', path: '/' },
      { label: 'home', path: '/home' },
      { label: 'ada', path: '/home/ada' },
      { label: 'data', path: '/home/ada/data' },
    ]);
    expect(breadcrumbs('C:\\Users\\ada').map((c) => c.path)).toEqual(['C:\\', 'C:\\Users', 'C:\\Users\\ada']);
    expect(breadcrumbs('rel/dir').map((c) => c.path)).toEqual(['rel', 'rel/dir']);
  });
});
