/** Building blocks shared by every part of the contract. */
import { z } from 'zod';

export const ProviderName = z.enum(['cuda', 'webgpu', 'cpu']);
export type ProviderName = z.infer<typeof ProviderName>;

export const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'ids are 1–64 letters, digits, _ or -');

/** An absolute or relative path chosen by the user (dialog, file browser or command line). */
export const FilePath = z.string().min(1).max(4096);

export const Seed = z.number().int().min(0).max(2 ** 31 - 1);
