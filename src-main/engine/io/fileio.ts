import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Write `data` to `path` so that readers see either the old file or the complete new one, never a
 * partial write: the bytes go to a temporary file in the same directory (rename is only atomic
 * within one file system), are fsynced, and the temporary file is then renamed over the target.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx');
  let renamed = false;
  try {
    try {
      let offset = 0;
      while (offset < data.length) {
        // A single write may be partial, and Node rejects lengths of 2 GiB or more.
        const len = Math.min(data.length - offset, 1 << 30);
        const { bytesWritten } = await handle.write(data, offset, len);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    renamed = true;
    await syncDirectory(dir);
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

// Makes the rename itself durable; directories cannot be opened for fsync on Windows, where
// NTFS journals the rename anyway, so failure here is not an error.
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // best effort
  }
}

/**
 * Read a whole file into one Uint8Array. Unlike fs.readFile this is not capped at 2 GiB, which
 * matters for archives whose members may each reach that size.
 */
export async function readWholeFile(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(out, done, Math.min(size - done, 1 << 30), done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    // A file that shrank while being read yields what was there; the format parsers report truncation.
    return done === size ? out : out.subarray(0, done);
  } finally {
    await handle.close();
  }
}
