import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RawMessage } from '../pipeline/types.js';

/** The message a mail server handed over, spooled where it can be kept. */
export interface Received {
  message: RawMessage;
  /** Moves it into the held Maildir (new/); the path it now has. */
  hold(): Promise<string>;
  /** Forgets it: it went where it should, or the mail server keeps it (75). */
  discard(): Promise<void>;
}

/** Makes `dir` a Maildir (tmp/, new/, cur/), private to this user. */
export async function maildir(dir: string): Promise<void> {
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
}

/**
 * The one message a mail server hands over on standard input, written as it arrives into the
 * held Maildir's tmp/ (Maildir delivery: a file is whole before it is moved into new/), so that a
 * token email refused for good can be kept whatever its size. At most `maxBytes` + 1 bytes are
 * kept in memory, so an oversize message is known as such without holding it all.
 */
export async function receive(input: NodeJS.ReadableStream, heldDir: string, maxBytes: number): Promise<Received> {
  await maildir(heldDir);
  const name = `${Date.now()}.P${process.pid}R${randomBytes(6).toString('hex')}.${hostname().replace(/[/:]/g, '_')}`;
  const spool = join(heldDir, 'tmp', name);
  const file = await open(spool, 'wx', 0o600);
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  try {
    for await (const chunk of input) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      total += bytes.length;
      await file.write(bytes);
      if (kept <= maxBytes) {
        chunks.push(bytes.subarray(0, maxBytes + 1 - kept));
        kept += Math.min(bytes.length, maxBytes + 1 - kept);
      }
    }
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(spool).catch(() => undefined);
    throw err;
  }
  await file.close();
  const raw = Buffer.concat(chunks);
  return {
    message: { source: 'stdin', receivedAt: new Date(), sequence: 0, size: total, load: async () => raw },
    async hold() {
      const kept = join(heldDir, 'new', name);
      await rename(spool, kept);
      const folder = await open(join(heldDir, 'new'), 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
      return kept;
    },
    discard: () => unlink(spool).catch(() => undefined),
  };
}
