// Optional cross-check against real NumPy: our files must load in np.load and match np.save byte
// for byte, and files NumPy writes (Fortran order, big-endian, savez/_compressed) must read back.
// Skipped where python3 with numpy is not installed.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpyFile, writeNpyFile, type DType, type NdArray, type NdData } from './npy';
import { readNpzFile, writeNpzFile } from './npz';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

const N = 24;
const SHAPE = [2, 3, 4];

// The same formulas appear in the Python script below.
function values(dtype: DType): NdData {
  const idx = Array.from({ length: N }, (_, i) => i);
  switch (dtype) {
    case 'float32':
      return Float32Array.from(idx, (i) => (i - 10) * 0.375);
    case 'float64':
      return Float64Array.from(idx, (i) => (i - 10) * 0.375);
    case 'int8':
      return Int8Array.from(idx, (i) => i * 5 - 60);
    case 'int16':
      return Int16Array.from(idx, (i) => i * 1000 - 12000);
    case 'int32':
      return Int32Array.from(idx, (i) => i * 100000 - 1200000);
    case 'int64':
      return BigInt64Array.from(idx, (i) => BigInt(i - 12) * 2n ** 40n);
    case 'uint8':
      return Uint8Array.from(idx, (i) => i * 10);
    case 'uint16':
      return Uint16Array.from(idx, (i) => i * 2000);
    case 'bool':
      return Uint8Array.from(idx, (i) => (i % 3 === 0 ? 1 : 0));
  }
}

const DTYPES: DType[] = ['float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'bool'];
const NP_NAME: Record<DType, string> = {
  float32: 'float32',
  float64: 'float64',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  uint16: 'uint16',
  bool: 'bool_',
};

const SCRIPT = String.raw`
import io, sys, os
import numpy as np
d = sys.argv[1]
i = np.arange(24)
def vals(name):
    if name in ('float32', 'float64'): return ((i - 10) * 0.375).astype(name)
    if name == 'int8': return (i * 5 - 60).astype(name)
    if name == 'int16': return (i * 1000 - 12000).astype(name)
    if name == 'int32': return (i * 100000 - 1200000).astype(name)
    if name == 'int64': return ((i - 12).astype(np.int64) * 2**40)
    if name == 'uint8': return (i * 10).astype(name)
    if name == 'uint16': return (i * 2000).astype(name)
    if name == 'bool_': return (i % 3 == 0)
names = sys.argv[2].split(',')
# 1. Files written by TypeScript load correctly and equal np.save's bytes exactly.
for n in names:
    path = os.path.join(d, 'ts_' + n + '.npy')
    a = np.load(path)
    want = vals(n).reshape(2, 3, 4)
    assert a.dtype == want.dtype, (n, a.dtype)
    assert a.shape == (2, 3, 4), (n, a.shape)
    assert np.array_equal(a, want), n
    buf = io.BytesIO(); np.save(buf, want)
    assert buf.getvalue() == open(path, 'rb').read(), 'bytes differ from np.save for ' + n
extra = sorted(f for f in os.listdir(d) if f.startswith('ts_shape_'))
assert len(extra) == 64, extra
for name in ['ts_scalar.npy', 'ts_empty.npy'] + extra:
    buf = io.BytesIO(); a = np.load(os.path.join(d, name)); np.save(buf, a)
    assert buf.getvalue() == open(os.path.join(d, name), 'rb').read(), name
assert np.load(os.path.join(d, 'ts_scalar.npy')).shape == ()
assert np.load(os.path.join(d, 'ts_empty.npy')).shape == (0, 3)
for z in ('ts_stored.npz', 'ts_deflated.npz'):
    with np.load(os.path.join(d, z)) as f:
        assert sorted(f.files) == sorted(['w', 'lab/els', 'mask']), f.files
        assert np.array_equal(f['w'], vals('float32').reshape(4, 6))
        assert np.array_equal(f['lab/els'], vals('int64'))
        assert np.array_equal(f['mask'], vals('bool_').reshape(24, 1))
# 2. Files written by NumPy for TypeScript to read.
for n in names:
    a = vals(n).reshape(2, 3, 4)
    np.save(os.path.join(d, 'py_c_' + n + '.npy'), a)
    np.save(os.path.join(d, 'py_f_' + n + '.npy'), np.asfortranarray(a))
for be in ('>f4', '>f8', '>i4', '>i8', '>i2', '>u2'):
    a = vals(np.dtype(be).newbyteorder('=').name).reshape(2, 3, 4).astype(be)
    np.save(os.path.join(d, 'py_be_' + be[1:] + '.npy'), np.asfortranarray(a))
np.save(os.path.join(d, 'py_scalar.npy'), np.float64(2.5))
np.save(os.path.join(d, 'py_empty.npy'), np.zeros((3, 0), dtype=np.int16))
args = {'w': vals('float32').reshape(4, 6), 'lab/els': vals('int64'), 'mask': vals('bool_').reshape(24, 1)}
np.savez(os.path.join(d, 'py_stored.npz'), **args)
np.savez_compressed(os.path.join(d, 'py_deflated.npz'), **args)
print('OK')
`;

function expectValues(arr: NdArray, dtype: DType, shape: number[]): void {
  expect(arr.dtype).toBe(dtype);
  expect(arr.shape).toEqual(shape);
  expect(Array.from(arr.data as ArrayLike<unknown>)).toEqual(Array.from(values(dtype) as ArrayLike<unknown>));
}

describe('NumPy cross-check', () => {
  it.skipIf(!hasNumpy)('agrees with NumPy in both directions (skipped: needs python3 with numpy)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npy-numpy-'));
    try {
      for (const dtype of DTYPES) {
        await writeNpyFile(join(dir, `ts_${NP_NAME[dtype]}.npy`), { dtype, shape: SHAPE, data: values(dtype) });
      }
      await writeNpyFile(join(dir, 'ts_scalar.npy'), { dtype: 'float64', shape: [], data: new Float64Array([-1.25]) });
      await writeNpyFile(join(dir, 'ts_empty.npy'), { dtype: 'uint16', shape: [0, 3], data: new Uint16Array(0) });
      // Each extra dimension adds 3 header characters, so 64 ranks hit every length modulo 64,
      // including the one where NumPy pads a whole extra 64 bytes.
      for (let k = 1; k <= 64; k++) {
        const shape = Array.from({ length: k }, (_, j) => (j === 0 ? k % 3 : 1));
        const n = shape.reduce((a, b) => a * b, 1);
        await writeNpyFile(join(dir, `ts_shape_${k}.npy`), { dtype: 'uint8', shape, data: new Uint8Array(n) });
      }
      const members = {
        w: { dtype: 'float32', shape: [4, 6], data: values('float32') },
        'lab/els': { dtype: 'int64', shape: [24], data: values('int64') },
        mask: { dtype: 'bool', shape: [24, 1], data: values('bool') },
      } satisfies Record<string, NdArray>;
      await writeNpzFile(join(dir, 'ts_stored.npz'), members);
      await writeNpzFile(join(dir, 'ts_deflated.npz'), members, { compress: true });

      await writeFile(join(dir, 'check.py'), SCRIPT);
      const py = spawnSync('python3', [join(dir, 'check.py'), dir, DTYPES.map((d) => NP_NAME[d]).join(',')], { encoding: 'utf8' });
      expect(py.stderr + py.stdout).toContain('OK');
      expect(py.status).toBe(0);

      for (const dtype of DTYPES) {
        expectValues(await readNpyFile(join(dir, `py_c_${NP_NAME[dtype]}.npy`)), dtype, SHAPE);
        expectValues(await readNpyFile(join(dir, `py_f_${NP_NAME[dtype]}.npy`)), dtype, SHAPE);
      }
      const be: Array<[string, DType]> = [['f4', 'float32'], ['f8', 'float64'], ['i4', 'int32'], ['i8', 'int64'], ['i2', 'int16'], ['u2', 'uint16']];
      for (const [code, dtype] of be) expectValues(await readNpyFile(join(dir, `py_be_${code}.npy`)), dtype, SHAPE);
      const scalar = await readNpyFile(join(dir, 'py_scalar.npy'));
      expect(scalar.shape).toEqual([]);
      expect(Array.from(scalar.data as Float64Array)).toEqual([2.5]);
      const empty = await readNpyFile(join(dir, 'py_empty.npy'));
      expect(empty).toMatchObject({ dtype: 'int16', shape: [3, 0] });
      for (const z of ['py_stored.npz', 'py_deflated.npz']) {
        const m = await readNpzFile(join(dir, z));
        expect([...m.keys()].sort()).toEqual(['lab/els', 'mask', 'w']);
        expectValues(m.get('w')!, 'float32', [4, 6]);
        expectValues(m.get('lab/els')!, 'int64', [24]);
        expectValues(m.get('mask')!, 'bool', [24, 1]);
      }
      // The archives NumPy writes are not ours: prove the reader handled ZIP64 local headers.
      expect((await readFile(join(dir, 'py_stored.npz'))).includes(Buffer.from([0x01, 0x00, 0x10, 0x00]))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
