import { describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../../../src-shared/contract';
import {
  DATA_FILES,
  datasetNameFromPath,
  defaultImportForm,
  describeNchw,
  desktopPath,
  groupDroppedFiles,
  holdsArrays,
  shapeText,
  sortDatasets,
  upsertDataset,
  validateImportForm,
} from './datasets';
import { matchesFilter } from './files';
import { newStep } from './preprocess-form';

function dataset(id: string, extra: Partial<DatasetSummary> = {}): DatasetSummary {
  return {
    id,
    name: id,
    format: 'npy',
    source: `/data/${id}.npy`,
    stored: 'reference',
    sourceDtype: 'float32',
    sourceShape: [4, 8, 8],
    preprocessing: [],
    stats: { shape: [4, 1, 8, 8], min: 0, max: 1, mean: 0.5, std: 0.25, perChannel: [{ min: 0, max: 1, mean: 0.5, std: 0.25 }] },
    createdAt: '2026-01-01T00:00:00Z',
    files: { data: `datasets/${id}/data.npy` },
    ...extra,
  };
}

describe('data set list', () => {
  it('sorts newest first, unparseable dates last in their order, without changing the input', () => {
    const list = [dataset('a', { createdAt: '2026-01-01T00:00:00Z' }), dataset('x', { createdAt: 'never' }), dataset('b', { createdAt: '2026-03-01T00:00:00Z' }), dataset('y', { createdAt: '' })];
    expect(sortDatasets(list).map((d) => d.id)).toEqual(['b', 'a', 'x', 'y']);
    expect(list.map((d) => d.id)).toEqual(['a', 'x', 'b', 'y']);
  });

  it('replaces a data set by id or adds it', () => {
    const list = [dataset('a'), dataset('b')];
    expect(upsertDataset(list, dataset('b', { name: 'B' })).map((d) => d.name)).toEqual(['a', 'B']);
    expect(upsertDataset(list, dataset('c')).map((d) => d.id)).toEqual(['a', 'b', 'c']);
  });

  it('writes shapes and [N, C, H, W] in words', () => {
    expect(shapeText([16, 1, 8, 8])).toBe('16×1×8×8');
    expect(shapeText([])).toBe('scalar');
    expect(describeNchw([16, 3, 8, 12])).toBe('16 items · 3 channels · 8×12');
    expect(describeNchw([1, 1, 1, 64])).toBe('1 item · 1 channel · 1-D signals of 64 samples');
  });
});

describe('import dialog helpers', () => {
  it('names a data set after its file, without folders and extension (.gz too)', () => {
    expect(datasetNameFromPath('/d/train-images.idx3.gz')).toBe('train-images');
    expect(datasetNameFromPath('C:\\data\\faces.npz')).toBe('faces');
    expect(datasetNameFromPath('/d/images/')).toBe('images');
    expect(datasetNameFromPath('/d/.hidden')).toBe('.hidden');
  });

  it('asks for an array only for .npz and .mat', () => {
    expect(holdsArrays('/d/a.NPZ')).toBe(true);
    expect(holdsArrays('/d/a.mat')).toBe(true);
    expect(holdsArrays('/d/a.npy')).toBe(false);
    expect(holdsArrays('/d/folder.mat/')).toBe(true);
  });

  it('offers every importable format in the file filter, with extensions a native dialog accepts', () => {
    for (const n of ['a.png', 'b.JPG', 'c.tif', 'd.bmp', 'e.idx3', 'e.idx3.gz', 'f.npy', 'g.npz', 'h.mat', 'i.csv', 'j.tsv']) {
      expect(matchesFilter({ name: n, path: `/${n}`, kind: 'file' }, DATA_FILES), n).toBe(true);
    }
    for (const e of DATA_FILES.extensions) expect(e).toMatch(/^[a-z0-9]+$/);
  });

  it('builds datasets.import parameters: trimmed, array only where it applies, steps validated', () => {
    const form = { ...defaultImportForm(), path: ' /d/x.npz ', name: ' faces ', array: ' X ', stored: 'copy' as const, steps: [newStep('grayscale'), newStep('split')] };
    const v = validateImportForm(form);
    expect(v).toEqual({ ok: true, errors: {}, params: { path: '/d/x.npz', name: 'faces', array: 'X', stored: 'copy', preprocessing: [{ op: 'grayscale' }, { op: 'split', testFraction: 0.2, seed: 0 }] } });
    const png = validateImportForm({ ...defaultImportForm(), path: '/d/x.png', array: 'ignored' });
    expect(png.ok && png.params).toEqual({ path: '/d/x.png', stored: 'reference', preprocessing: [] });
  });

  it('says what is missing or wrong, with step errors naming the step', () => {
    const bad = newStep('resize');
    bad.values['width'] = 0;
    const v = validateImportForm({ ...defaultImportForm(), name: 'x'.repeat(201), steps: [bad] });
    expect(v.ok).toBe(false);
    expect(v.errors['path']).toBe('Choose or type the file or folder to import.');
    expect(v.errors['steps.0.width']).toBe('Step 1 (resize), width: Must be at least 1.');
    expect(v.errors['name']).toBeDefined();
    expect(Object.keys(v.errors).some((k) => k.startsWith('preprocessing'))).toBe(false);
  });
});

describe('dropped files', () => {
  it('puts two or more images in one group (one image folder) and every other file in its own', () => {
    expect(groupDroppedFiles(['a.png', 'x.npy', 'b.JPG', 'c.tif'])).toEqual([[0, 2, 3], [1]]);
    expect(groupDroppedFiles(['a.png', 'x.npy'])).toEqual([[0], [1]]);
    expect(groupDroppedFiles(['x.npy', 'y.csv'])).toEqual([[0], [1]]);
    expect(groupDroppedFiles([])).toEqual([]);
    // Every file is in exactly one group.
    const names = ['1.png', '2.bmp', 'n.npz', '3.jpeg', 'm.mat'];
    expect(groupDroppedFiles(names).flat().sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('asks the desktop bridge for a dropped file’s path, and gives null in a browser or on failure', () => {
    const file = { name: 'a.npy' } as File;
    expect(desktopPath(undefined, file)).toBeNull();
    expect(desktopPath({}, file)).toBeNull();
    const bridge = { root: '/data', pathForFile(this: { root: string }, f: File) { return `${this.root}/${f.name}`; } };
    expect(desktopPath(bridge, file)).toBe('/data/a.npy');
    expect(desktopPath({ pathForFile: () => '' }, file)).toBeNull();
    expect(desktopPath({ pathForFile: () => { throw new TypeError('not a file'); } }, file)).toBeNull();
    expect(desktopPath({ pathForFile: () => 42 }, file)).toBeNull();
  });
});
