/**
 * Data sets: files imported into a project (referenced where they are, or copied in), the preprocessing
 * recorded with them, and what the data set view shows of them.
 */
import { z } from 'zod';
import { FilePath, Id, Seed } from './basics';
import { Bytes, Float32Tensor } from './tensors';

export const DataFormat = z.enum(['image', 'image-folder', 'idx', 'npy', 'npz', 'mat', 'csv']);
export type DataFormat = z.infer<typeof DataFormat>;

/** One preprocessing step; a data set records the list it was made with, in order. */
export const PreprocessStep = z.discriminatedUnion('op', [
  /** ITU-R BT.601 luma of RGB(A) channels. */
  z.object({ op: z.literal('grayscale') }),
  /** Per data set, (x − min)/(max − min). */
  z.object({ op: z.literal('scale01') }),
  /** Subtract each item's mean. */
  z.object({ op: z.literal('remove-mean') }),
  /** Subtract a Gaussian low-pass of width sigma (pixels), as SPORCO's examples do before CSC. */
  z.object({ op: z.literal('high-pass'), sigma: z.number().positive().max(64) }),
  z.object({ op: z.literal('crop'), x: z.number().int().nonnegative(), y: z.number().int().nonnegative(), width: z.number().int().positive(), height: z.number().int().positive() }),
  z.object({ op: z.literal('resize'), width: z.number().int().positive().max(8192), height: z.number().int().positive().max(8192) }),
  /** Overlapping patches of size×size every `stride` pixels; `max` of them drawn at random with `seed`. */
  z.object({ op: z.literal('patches'), size: z.number().int().min(2).max(256), stride: z.number().int().min(1).max(256), max: z.number().int().positive().optional(), seed: Seed.default(0) }),
  /** Split items into train and test at random with `seed`. */
  z.object({ op: z.literal('split'), testFraction: z.number().gt(0).lt(1), seed: Seed.default(0) }),
]);
export type PreprocessStep = z.infer<typeof PreprocessStep>;

export const ChannelStats = z.object({ min: z.number(), max: z.number(), mean: z.number(), std: z.number() });

export const DatasetStats = z.object({
  /** [N, C, H, W] after preprocessing. */
  shape: z.array(z.number().int().nonnegative()).length(4),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  std: z.number(),
  perChannel: z.array(ChannelStats),
  /** Items of the test split, when the data set was split. */
  testItems: z.number().int().nonnegative().optional(),
});
export type DatasetStats = z.infer<typeof DatasetStats>;

export const DatasetSummary = z.object({
  id: Id,
  name: z.string(),
  format: DataFormat,
  /** Where the data came from; for a copied data set, also where the copy is (relative to the project). */
  source: FilePath,
  stored: z.enum(['reference', 'copy']),
  copyPath: z.string().optional(),
  /** The array inside an .npz/.mat that was imported. */
  array: z.string().optional(),
  sourceDtype: z.string(),
  sourceShape: z.array(z.number().int().nonnegative()),
  preprocessing: z.array(PreprocessStep),
  stats: DatasetStats,
  createdAt: z.string(),
  /**
   * The stored arrays, relative to the project folder: data.npy (the preprocessed [N, C, H, W] float32 that
   * runs use), test.npy (the test split), labels.npy and test_labels.npy (int32 [N]) when present.
   */
  files: z
    .object({ data: z.string(), test: z.string().optional(), labels: z.string().optional(), testLabels: z.string().optional() })
    .optional(),
});
export type DatasetSummary = z.infer<typeof DatasetSummary>;

export const DatasetImportParams = z
  .object({
    path: FilePath,
    name: z.string().min(1).max(200).optional(),
    stored: z.enum(['reference', 'copy']).default('reference'),
    /** Which array of an .npz/.mat file; default: the first numeric one. */
    array: z.string().max(200).optional(),
    preprocessing: z.array(PreprocessStep).max(16).default([]),
  })
  .strict();
export type DatasetImportParams = z.infer<typeof DatasetImportParams>;
export type DatasetImportInput = z.input<typeof DatasetImportParams>;

export const DatasetPreview = z.object({
  id: Id,
  /** Up to 64 items as gray images [n, h, w], each scaled to [0, 1] for display. */
  thumbnails: Float32Tensor,
  stats: DatasetStats,
});
export type DatasetPreview = z.infer<typeof DatasetPreview>;

/** A file name without a folder: what a browser gives for a dropped file. */
export const UploadName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[\\/\u0000]/.test(n) && n !== '.' && n !== '..', { message: 'a file name, without folders' });

/**
 * Files dropped on the data set view in the browser, where no path on the server exists: their contents are
 * stored in the project (always as a copy) and imported. One file is imported by its format; several image
 * files become one image folder.
 */
export const DatasetUploadParams = z
  .object({
    files: z.array(z.object({ name: UploadName, bytes: Bytes })).min(1).max(10_000),
    name: z.string().min(1).max(200).optional(),
    array: z.string().max(200).optional(),
    preprocessing: z.array(PreprocessStep).max(16).default([]),
  })
  .strict();
export type DatasetUploadParams = z.infer<typeof DatasetUploadParams>;
export type DatasetUploadInput = z.input<typeof DatasetUploadParams>;
