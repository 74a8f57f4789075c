/**
 * Confinement of client-named paths to the directories the user allowed (browser mode). Paths are resolved
 * through symlinks, so a link inside an allowed root cannot lead outside it; a path that does not exist yet
 * (a new project folder) is judged by its nearest existing ancestor.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { StudioError } from '../../src-shared/contract';

function realOrAncestor(p: string): string {
  let current = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.join(current, ...rest);
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}

export class PathGuard {
  private readonly roots: string[] | undefined;

  constructor(roots: readonly string[] | undefined) {
    this.roots = roots?.map((r) => realOrAncestor(r));
  }

  get allowedRoots(): readonly string[] | undefined {
    return this.roots;
  }

  /** The resolved path if it lies inside an allowed root; otherwise a 'forbidden' error naming it. */
  check(p: string, what: string): string {
    const resolved = realOrAncestor(p);
    if (!this.roots) return resolved;
    const inside = this.roots.some((root) => resolved === root || resolved.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
    if (!inside) throw new StudioError('forbidden', `${what} ${p} is outside the folders this server may use (${this.roots.join(', ')}); start the server with --root to allow another folder`, what);
    return resolved;
  }
}
