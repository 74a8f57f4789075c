/**
 * Snapshots of a learning session's atoms (runs/<id>/snapshots/<iteration>/), on a Project directly: each
 * folder complete or absent, thinned to at most MAX_SNAPSHOTS with first and last kept, the one at or before
 * an iteration picked for the step slider, and the history cut back when a session resumes.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LearnConfig } from '../../src-shared/contract';
import { readNpyFile } from '../engine/io/npy';
import { MAX_SNAPSHOTS, Project, thinSnapshots } from './projects';

let dir: string;
let project: Project;
const config = LearnConfig.parse({ method: 'cdl', data: { kind: 'sample', name: 'camera' }, iterations: 1000 });

/** Two layers whose every value is the iteration (layer 2: its negative), so a read tells which snapshot it came from. */
function atomsAt(iteration: number) {
  return [
    { layer: 1, images: { shape: [3, 2, 2], data: new Float32Array(12).fill(iteration) } },
    { layer: 2, images: { shape: [2, 3, 3], data: new Float32Array(18).fill(-iteration) } },
  ];
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-snapshots-'));
  project = await Project.create(path.join(dir, 'proj'), 'Snapshots');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('thinning', () => {
  it('keeps the first, the last and every other one once the list grows past the limit', () => {
    const list = Array.from({ length: MAX_SNAPSHOTS + 1 }, (_, i) => i * 10);
    const kept = thinSnapshots(list);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(MAX_SNAPSHOTS * 10);
    expect(kept.length).toBeLessThanOrEqual(MAX_SNAPSHOTS / 2 + 1);
    expect(kept.every((v, i) => i === 0 || v > kept[i - 1]!)).toBe(true);
    expect(thinSnapshots(list.slice(0, MAX_SNAPSHOTS))).toEqual(list.slice(0, MAX_SNAPSHOTS));
  });
});

describe('a session’s snapshots', () => {
  it('stay bounded, ascending and complete while a long session writes them; previewAt reads the right one', async () => {
    const { id } = await project.createRun(config);
    const total = 3 * MAX_SNAPSHOTS;
    for (let it = 0; it <= total; it++) {
      await project.writeSnapshot(id, it * 5, atomsAt(it * 5));
      const list = await project.listSnapshots(id);
      expect(list.length).toBeLessThanOrEqual(MAX_SNAPSHOTS);
      expect(list[0]).toBe(0);
      expect(list.at(-1)).toBe(it * 5);
    }
    const list = await project.listSnapshots(id);
    expect(list.length).toBeGreaterThan(MAX_SNAPSHOTS / 4);
    expect(list.every((v, i) => i === 0 || v > list[i - 1]!)).toBe(true);
    const root = path.join(dir, 'proj', 'runs', id, 'snapshots');
    // Only complete snapshot folders: no temporaries or half-removed ones left behind.
    expect(readdirSync(root).sort()).toEqual(list.map((v) => String(v).padStart(9, '0')).sort());
    for (const v of list) {
      const a1 = await readNpyFile(path.join(root, String(v).padStart(9, '0'), 'atoms1.npy'));
      expect([...a1.shape]).toEqual([3, 2, 2]);
      expect(Array.from(a1.data as Float32Array).every((x) => x === v)).toBe(true);
    }

    for (const asked of [0, 1, list[3]!, list[3]! + 1, list[list.length - 2]! + 3, total * 5, total * 5 + 100]) {
      const expected = [...list].reverse().find((v) => v <= asked)!;
      const preview = await project.readPreviewAt(id, asked);
      expect(preview.iteration).toBe(expected);
      expect(preview.atoms.map((a) => a.layer)).toEqual([1, 2]);
      const onDisk = await readNpyFile(path.join(root, String(expected).padStart(9, '0'), 'atoms2.npy'));
      expect(preview.atoms[1]!.images.shape).toEqual([...onDisk.shape]);
      expect(Array.from(preview.atoms[1]!.images.data)).toEqual(Array.from(onDisk.data as Float32Array));
    }
    // runs.preview shows the latest snapshot while a session has them.
    const latest = await project.readPreview(id);
    expect(latest.iteration).toBe(list.at(-1));
    expect(latest.atoms[0]!.images.data[0]).toBe(list.at(-1));
  });

  it('picks the first snapshot when asked for an iteration before it, and falls back to the saved atoms without snapshots', async () => {
    const { id } = await project.createRun(config);
    await project.writeTensor(id, 'atoms1', { shape: [2, 2, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) });
    const plain = await project.readPreviewAt(id, 7);
    expect(plain.iteration).toBeUndefined();
    expect(Array.from(plain.atoms[0]!.images.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await project.writeSnapshot(id, 20, atomsAt(20));
    await project.writeSnapshot(id, 40, atomsAt(40));
    const early = await project.readPreviewAt(id, 3);
    expect(early.iteration).toBe(20);
    expect(early.atoms[0]!.images.data[0]).toBe(20);
  });

  it('a resume drops the snapshots after its checkpoint and replaces the one at the checkpoint, keeping the history monotone', async () => {
    const { id } = await project.createRun(config);
    for (const it of [0, 10, 20, 30]) await project.writeSnapshot(id, it, atomsAt(it));
    await project.dropSnapshotsAfter(id, 15);
    expect(await project.listSnapshots(id)).toEqual([0, 10]);
    // The resumed session previews its checkpoint's state again: same iteration, new contents win.
    await project.writeSnapshot(id, 10, atomsAt(11));
    await project.writeSnapshot(id, 25, atomsAt(25));
    expect(await project.listSnapshots(id)).toEqual([0, 10, 25]);
    expect((await project.readPreviewAt(id, 12)).atoms[0]!.images.data[0]).toBe(11);
    expect(existsSync(path.join(dir, 'proj', 'runs', id, 'snapshots', '000000030'))).toBe(false);
    expect(readdirSync(path.join(dir, 'proj', 'runs', id, 'snapshots')).filter((e) => e.startsWith('.'))).toEqual([]);
  });
});
