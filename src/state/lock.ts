import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TransientError, errnoCode } from '../util/errors.js';

// A read-modify-write holds the lock for milliseconds; a holder that keeps it this long has
// died or hung, and its lock may be taken over.
const STALE_MS = 30_000;
// Far longer than the moment between creating a lock and writing the holder's pid into it.
const EMPTY_LOCK_GRACE_MS = 2000;
// How long to wait for another process's write before calling the file busy (a retry follows).
const WAIT_MS = 15_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * The pid in the lock when it was left by a process that is gone, or is older than any real
 * holder; null while it belongs to a live holder (or has just been released).
 */
async function staleOwner(lockPath: string): Promise<string | null> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    const pid = Number.parseInt(text, 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) return text;
    // A holder writes its pid the moment it creates the lock; an empty one a while later was
    // left by a process killed in between.
    const age = Date.now() - info.mtimeMs;
    if (text === '' && age > EMPTY_LOCK_GRACE_MS) return text;
    return age > STALE_MS ? text : null;
  } catch {
    return null;
  }
}

/** Removes a stale lock only if it is still the one found stale, not a new holder's. */
async function takeOver(lockPath: string, staleText: string): Promise<void> {
  const now = await readFile(lockPath, 'utf8').catch(() => null);
  if (now === staleText) await unlink(lockPath).catch(() => undefined);
}

/**
 * Runs `fn` while holding `<path>.lock`, so that two processes sharing a state or token file
 * never interleave a read-modify-write and lose each other's update (DESIGN §2a, item 5). The
 * lock is a file created exclusively, holding the owner's pid; one left by a killed process is
 * taken over. Callers inside one process must not nest it for the same path.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + WAIT_MS;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      const stale = await staleOwner(lockPath);
      if (stale !== null) {
        await takeOver(lockPath, stale);
        continue;
      }
      if (Date.now() > deadline) throw new TransientError(`${path} is locked by another sftoken process (${lockPath})`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
