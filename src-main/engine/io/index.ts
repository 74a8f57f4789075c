export { DataFormatError } from './errors';
export { readWholeFile, writeFileAtomic } from './fileio';
export {
  MAX_ELEMENTS,
  dtypeDescr,
  dtypeItemSize,
  parseNpy,
  parseNpyHeader,
  readNpyFile,
  serializeNpy,
  toFloat32,
  toFloat64,
  validateNdArray,
  writeNpyFile,
  type DType,
  type NdArray,
  type NdData,
  type NpyHeader,
} from './npy';
export {
  MAX_NPZ_MEMBER_BYTES,
  MAX_NPZ_TOTAL_BYTES,
  readNpz,
  readNpzFile,
  writeNpz,
  writeNpzFile,
  type WriteNpzOptions,
} from './npz';
export {
  MAX_PNG_PIXELS,
  readPng,
  readPngAsGray,
  tileGrayImages,
  writeGrayPng,
  type ColorImage,
  type GrayImage,
  type GrayRange,
  type TileOptions,
} from './png';
export { readIdx, readIdxFile } from './idx';
export { loadDictionaryFile, loadSignalFile } from './signal-files';
export { readNpyHeaderFile } from './npy';
export { listNpz, readNpzArray } from './npz';
export { probePng } from './png';
export { readIdxHeader } from './idx';
export { MAX_JPEG_PIXELS, probeJpeg, readJpeg, type JpegInfo } from './jpeg';
export { MAX_TIFF_PAGES, MAX_TIFF_PIXELS, decodeTiffPage, probeTiff, tiffDtype, type TiffPage } from './tiff';
export { MAX_BMP_PIXELS, probeBmp, readBmp, type BmpInfo } from './bmp';
export { MAX_TEXT_BYTES, readNumericTable, type Delimiter, type NumericTable, type ReadTableOptions } from './csv';
export { listMat, matHeaderKind, readMatVariable, type MatArray, type MatClass, type MatVariableInfo, type ReadMatOptions } from './mat';
export { MAX_MAT73_ELEMENTS, listMat73, readMat73Variable } from './mat73';
