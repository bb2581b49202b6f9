import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sleep } from '../util/deadline.js';
import { TransientError, UsageError, errnoCode } from '../util/errors.js';

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
 * The lock's text when it was left by a process that is gone, or is older than any real holder;
 * null while it belongs to a live holder (or has just been released). Its age is read from the
 * time its holder wrote into it, not from the file's mtime: a file system's clock (NFS, or a
 * test's faked clock) need not agree with this process's.
 */
async function staleOwner(lockPath: string): Promise<string | null> {
  const kind = await lstat(lockPath).catch(() => null);
  // Never read anything but a plain file: a FIFO planted there would hang every run.
  if (kind && !kind.isFile()) throw new UsageError(`lock ${lockPath} is not a regular file (a link, pipe or folder): remove it`);
  try {
    const text = await readFile(lockPath, 'utf8');
    const [pidText = '', takenText = ''] = text.split(' ');
    const pid = Number.parseInt(pidText, 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) return text;
    const taken = Number.parseInt(takenText, 10);
    if (Number.isInteger(taken)) return Date.now() - taken > STALE_MS ? text : null;
    // A lock without a time was written by an older version, which created the file first and
    // filled it after: an empty one a while later was left by a process killed in between.
    const age = Date.now() - (await stat(lockPath)).mtimeMs;
    if (text === '' && age > EMPTY_LOCK_GRACE_MS) return text;
    return age > STALE_MS ? text : null;
  } catch {
    return null;
  }
}

/**
 * Creates the lock with its holder's pid and time already in it: written to a private file first,
 * then linked into place, which fails if a lock exists. No other process ever sees it half made.
 */
async function create(lockPath: string): Promise<void> {
  const draft = `${lockPath}.${randomBytes(6).toString('hex')}`;
  await writeFile(draft, `${process.pid} ${Date.now()}`, { mode: 0o600 });
  try {
    await link(draft, lockPath);
  } finally {
    await unlink(draft).catch(() => undefined);
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
      await create(lockPath);
      break;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      const stale = await staleOwner(lockPath);
      if (stale !== null) {
        await takeOver(lockPath, stale);
        continue;
      }
      if (Date.now() > deadline) throw new TransientError(`${path} is locked by another sftoken process (${lockPath})`);
      await sleep(wait);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
