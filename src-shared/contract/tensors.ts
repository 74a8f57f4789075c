/**
 * Dense data in the contract: typed arrays with a shape, never JSON arrays of numbers. Electron IPC and
 * Node's advanced serialisation carry typed arrays natively; the WebSocket codec (codec.ts) moves them as
 * binary attachments.
 */
import { z } from 'zod';

export const Float32Tensor = z
  .object({
    dtype: z.literal('float32'),
    shape: z.array(z.number().int().nonnegative()).max(8),
    data: z.custom<Float32Array>((v) => v instanceof Float32Array, { message: 'expected a Float32Array' }),
  })
  .refine((t) => t.data.length === t.shape.reduce((a, b) => a * b, 1), { message: 'tensor data length does not match its shape' });
export type Float32Tensor = z.infer<typeof Float32Tensor>;

export function float32Tensor(shape: readonly number[], data: Float32Array): Float32Tensor {
  return { dtype: 'float32', shape: [...shape], data };
}

/** Raw file contents: an uploaded data file, an exported .npz/.onnx/report. A binary attachment on the WebSocket. */
export const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected a Uint8Array' });
export type Bytes = z.infer<typeof Bytes>;
