/**
 * Every file (and folder) of the hostile corpus goes through importData from a temporary copy and
 * must be refused with a DataFormatError (or RangeError) naming the file and the specific problem
 * listed below; nothing may crash, hang, blow up memory or write anything.
 */
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../io/errors';
import { CORPUS } from './hostile-corpus/make-corpus';
import { importData } from './import';

const CORPUS_DIR = fileURLToPath(new URL('./hostile-corpus/', import.meta.url));
const NOT_CORPUS = new Set(['README.md', 'make-corpus.ts']);

/** The problem each file must be refused for. */
const EXPECT: Record<string, RegExp> = {
  // NPY
  'npy-truncated-header.npy': /truncated \.npy header/,
  'npy-truncated-data.npy': /truncated data: shape \(100, 100\)/,
  'npy-shape-lies.npy': /truncated data: shape \(1000, 1000\) of '<f4' needs 4000000 bytes but only 40/,
  'npy-dtype-lies.npy': /truncated data: shape \(10,\) of '<f8' needs 80 bytes but only 40/,
  'npy-fortran-order-lies.npy': /'fortran_order' is not True or False/,
  'npy-absurd-dims.npy': /1\.000e\+18 elements; more than 2\^31/,
  'npy-terabytes.npy': /1099511627776 elements; more than 2\^31/,
  'npy-over-element-limit.npy': /268451840 elements; more than 268435456 are refused/,
  'npy-object-dtype.npy': /object arrays .* not supported/,
  'npy-complex-dtype.npy': /unsupported dtype '<c16'/,
  'npy-structured-dtype.npy': /structured \(record\) dtypes/,
  'npy-nan.npy': /NaN at index \[1, 2\]/,
  'npy-inf.npy': /-Infinity at index \[2\]/,
  'npy-float32-overflow.npy': /\+Infinity at index \[1\] .*beyond the float32 range/,
  'npy-bad-magic.npy': /not a \.npy file: bad magic/,
  'npy-bad-version.npy': /unsupported \.npy format version 9\.0/,
  'npy-header-not-dict.npy': /not a Python dict/,
  'npy-negative-dim.npy': /negative dimension -5/,
  'npy-5d.npy': /5 dimensions .*at most 4/,
  'npy-scalar.npy': /single number \(a 0-d array\)/,
  'npy-empty-array.npy': /is empty \(shape \(0, 5\)\)/,
  // NPZ
  'npz-bomb-declared-size.npz': /declares an uncompressed size of 4294967280 bytes; members over 2 GiB are refused/,
  'npz-bomb-ratio.npz': /uncompressed size of 1500000000 bytes from \d+ compressed bytes, more than DEFLATE can expand \(zip bomb/,
  'npz-bomb-actual.npz': /expands to more than the declared 208 bytes/,
  'npz-absurd-shape.npz': /shape \(20000, 20000\) has 400000000 elements; more than 268435456 are refused/,
  'npz-path-traversal.npz': /"\.\.\/\.\.\/evil\.npy" is refused: .*path traversal/,
  'npz-absolute-path.npz': /"\/tmp\/evil\.npy" is refused: the name is an absolute path/,
  'npz-windows-path.npz': /is refused: the name contains a backslash/,
  'npz-no-npy-members.npz': /"readme\.txt" is not a \.npy array/,
  'npz-corrupt-central-directory.npz': /central directory entry 0 is damaged/,
  'npz-truncated.npz': /no end-of-central-directory record/,
  'npz-crc-mismatch.npz': /fails its CRC-32 check/,
  'npz-member-not-npy.npz': /member "x\.npy": not a \.npy file: bad magic/,
  'npz-empty-archive.npz': /holds no arrays/,
  'npz-nan.npz': /array 'x' contains NaN at index \[0, 1\]/,
  // IDX
  'idx-wrong-magic.idx3-ubyte': /not an IDX file: bad magic 0x01000803/,
  'idx-unknown-type.idx3-ubyte': /unknown element type 0x07/,
  'idx-lying-dims.idx3-ubyte': /truncated IDX data: shape \(60000, 28, 28\)/,
  'idx-truncated-header.idx3-ubyte': /truncated IDX header/,
  'idx-absurd-dims.idx3-ubyte': /281462092005375 elements; more than 2\^31/,
  'idx-gz-bomb.idx3-ubyte.gz': /declares 32 bytes but the gzip trailer records 50331680/,
  'idx-gz-lying-header.idx3-ubyte.gz': /declares 100000016 bytes but the gzip trailer records 116/,
  'idx-gz-corrupt.idx3-ubyte.gz': /corrupt gzip data/,
  'idx-label-file.idx1-ubyte': /is an IDX label file \(1-D, 5 items\), not data/,
  'idx-trailing-bytes.idx3-ubyte': /8 bytes beyond the 4 its header declares/,
  // PNG
  'png-truncated.png': /truncated PNG/,
  'png-bad-crc.png': /chunk 'IDAT' fails its CRC check/,
  'png-absurd-dims.png': /100000x100000 image has 10000000000 elements; more than 268435456 are refused/,
  'png-zero-width.png': /image is 0x10/,
  'png-idat-bomb.png': /image data expands beyond the 272 bytes its header implies/,
  'png-text-named.png': /content does not match the extension: the file is text, but its extension '\.png' says a PNG image/,
  'png-is-jpeg.png': /the file is a JPEG image, but its extension '\.png' says a PNG image/,
  // JPEG
  'jpeg-truncated.jpg': /truncated .*JPEG/,
  'jpeg-garbage.jpg': /corrupt JPEG/,
  'jpeg-absurd-sof.jpg': /65535x65535 = 4294836225 pixels; more than 2\^27/,
  'jpeg-zero-height.jpg': /frame header declares a 16x0 image/,
  'jpeg-no-frame.jpg': /no frame header \(SOF\)/,
  'jpeg-arithmetic.jpg': /arithmetic-coded sequential coding .* not supported/,
  'jpeg-cmyk.jpg': /4 colour components .*CMYK is not supported/,
  // TIFF
  'tiff-absurd-dims.tif': /100000x100000 = 10000000000 pixels; more than 2\^28/,
  'tiff-strip-outside.tif': /strip 0 lies outside the file \(offset 1048576/,
  'tiff-ifd-outside.tif': /IFD 0 offset 4294967040 lies outside the file/,
  'tiff-ifd-loop.tif': /IFD chain loops back to offset 8/,
  'tiff-truncated-ifd.tif': /declares 500 entries, running past the end of the file/,
  'tiff-tag-values-outside.tif': /values of BitsPerSample \(258\) lie outside the file/,
  'tiff-lzw-garbage.tif': /strip 0: corrupt data \(corrupt LZW data/,
  'tiff-deflate-bomb.tif': /strip 0: corrupt data \(compressed data expands to more than 16 bytes\)/,
  'tiff-bigtiff.tif': /BigTIFF files are not supported/,
  'tiff-jpeg-compressed.tif': /JPEG compression \(7\); supported: none, LZW, Deflate, PackBits/,
  // BMP
  'bmp-lying-size.bmp': /truncated BMP: 1000x1000 pixels at 24 bits need 3000000 bytes/,
  'bmp-negative-width.bmp': /width -16 \(must be positive\)/,
  'bmp-absurd-dims.bmp': /100000x100000 = 10000000000 pixels; more than 2\^28/,
  'bmp-bad-header-size.bmp': /info header of 99 bytes/,
  'bmp-rle.bmp': /RLE8 compression is not supported/,
  'bmp-palette-overflow.bmp': /palette of 1000 colours for 8-bit pixels/,
  'bmp-offset-into-header.bmp': /pixel data offset 10 points into the headers/,
  'bmp-bad-palette-index.bmp': /uses colour 200 of a 2-colour palette/,
  // MAT
  'mat-bad-header.mat': /not a MATLAB 5\.0 MAT-file/,
  'mat-bad-endian.mat': /endian indicator is "XX"/,
  'mat-truncated-element.mat': /truncated data element at offset 128: miMATRIX element declares 96 bytes but only 52 remain/,
  'mat-lying-dims.mat': /1000x1000 \(1000000 elements\) but its miDOUBLE data holds 8 bytes.*dimensions and data disagree/,
  'mat-absurd-dims.mat': /100000x100000 = 10000000000 elements; more than 268435456 are refused/,
  'mat-negative-dim.mat': /negative dimension -1/,
  'mat-compressed-bomb.mat': /declares 1500000008 bytes uncompressed from \d+ compressed bytes, more than DEFLATE can expand \(decompression bomb/,
  'mat-compressed-actual-bomb.mat': /compressed variable 'A' .*corrupt zlib data \(compressed data expands to more than 104 bytes\)/,
  'mat-compressed-garbage.mat': /compressed variable at offset 128: corrupt zlib data/,
  'mat-complex.mat': /no real numeric variable \(it holds 'z' \(complex double\)\)/,
  'mat-cell-struct-sparse.mat': /no real numeric variable .*'c' \(a cell array\), 's' \(a struct\), 'sp' \(a sparse matrix\)/,
  'mat-nan.mat': /variable 'x' contains NaN at index \[1, 0\]/,
  'mat-bad-small-element.mat': /small data element declares 7 bytes/,
  'mat-unexpected-element.mat': /unexpected top-level miDOUBLE element/,
  'mat-v73-no-hdf5.mat': /no HDF5 signature after the 512-byte MATLAB header/,
  'mat-v73-corrupt.mat': /corrupt MATLAB v7\.3 \(HDF5\) file/,
  // CSV
  'csv-ragged.csv': /line 3 has 2 values, expected 3 .*ragged/,
  'csv-non-numeric.csv': /non-numeric cell "abc" at line 3, column 2/,
  'csv-nan.csv': /non-finite value "NaN" at line 2, column 2/,
  'csv-inf.tsv': /non-finite value "inf" at line 1, column 3/,
  'csv-empty-cell.csv': /empty cell at line 1, column 2/,
  'csv-header-only.csv': /header line but no numeric rows/,
  'csv-unclosed-quote.csv': /malformed CSV: Quote Not Closed/,
  'csv-float32-overflow.csv': /"1e39" at line 1, column 1 is beyond the float32 range/,
  'csv-invalid-utf8.csv': /not valid UTF-8/,
  'csv-binary.csv': /the file is a PNG image, but its extension '\.csv' says CSV\/TSV text/,
  // Empty files
  'empty.png': /file is empty/,
  'empty.jpg': /file is empty/,
  'empty.tif': /file is empty/,
  'empty.bmp': /file is empty/,
  'empty.npy': /file is empty/,
  'empty.npz': /file is empty/,
  'empty.mat': /file is empty/,
  'empty.csv': /file is empty/,
  'empty.idx3-ubyte': /file is empty/,
  // Other
  'unknown-format.bin': /unrecognised file format/,
  'plain-hdf5.h5': /HDF5 file without a MATLAB header/,
  // Folders
  'folder-different-sizes': /b\.png is 5x4 but a\.png is 4x4; all images must be the same size/,
  'folder-no-images': /folder contains no image files/,
  'folder-content-mismatch': /b\.png: content does not match the extension: the file is text/,
};

/** Every path under `dir` with its size and modification time. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    const s = await stat(p);
    out.push(`${p} ${s.size} ${s.mtimeMs}`);
  }
  return out.sort();
}

const exists = (p: string) => stat(p).then(
  () => true,
  () => false,
);

let work: string;
let copy: string;
let before: string[];
let rss0: number;
let rssMax = 0;
const evilPaths = () => [join(copy, '..', '..', 'evil.npy'), join(copy, '..', 'evil.npy'), join(copy, 'evil.npy'), '/tmp/evil.npy', join(process.cwd(), 'evil.npy')];
let evilBefore: boolean[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostile-'));
  copy = join(work, 'corpus');
  await cp(CORPUS_DIR, copy, { recursive: true, filter: (src) => !NOT_CORPUS.has(basename(src)) });
  before = await listing(work);
  evilBefore = await Promise.all(evilPaths().map(exists));
  rss0 = process.memoryUsage().rss;
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('hostile corpus', () => {
  it('the table lists exactly the committed files, and the generator makes exactly them', async () => {
    const files = (await readdir(CORPUS_DIR)).filter((f) => !NOT_CORPUS.has(f)).sort();
    expect(files.length).toBeGreaterThanOrEqual(60);
    expect(files).toEqual(Object.keys(EXPECT).sort());
    expect(CORPUS.map((c) => c.name).sort()).toEqual(files);
    const readme = await readFile(join(CORPUS_DIR, 'README.md'), 'utf8');
    for (const f of files) expect(readme, `README.md lists ${f}`).toContain(`\`${f}`);
  });

  it('committed files are what make-corpus.ts generates (bombs excepted, for time)', async () => {
    for (const entry of CORPUS.filter((c) => !c.name.includes('bomb'))) {
      const made = entry.make();
      const files = made instanceof Uint8Array ? { '': made } : made;
      for (const [f, bytes] of Object.entries(files)) {
        const onDisk = new Uint8Array(await readFile(join(CORPUS_DIR, entry.name, f)));
        expect(Buffer.from(onDisk).equals(Buffer.from(bytes)), `${entry.name}/${f} is stale: rerun make-corpus.ts`).toBe(true);
      }
    }
  });

  it.each(Object.entries(EXPECT))('%s is refused: %s', async (name, problem) => {
    const path = join(copy, name);
    const err = await importData(path).then(
      (r) => new Error(`accepted as ${r.format} ${JSON.stringify(r.arrays[0]?.shape)}`),
      (e: unknown) => e,
    );
    expect(err instanceof DataFormatError || err instanceof RangeError, String(err)).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain(name);
    expect(message).toMatch(problem);
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
  });

  it('memory stayed bounded and nothing was written anywhere', async () => {
    expect(rssMax - rss0).toBeLessThan(500 * 2 ** 20);
    expect(await listing(work)).toEqual(before);
    expect(await Promise.all(evilPaths().map(exists))).toEqual(evilBefore);
  });
});
