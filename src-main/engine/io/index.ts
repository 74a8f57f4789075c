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
