import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NewerHeld, TransientError, UsageError, describe, errnoCode } from '../util/errors.js';
import { withFileLock } from './lock.js';
import { looserThan, safeTarget } from './safe-path.js';

/**
 * Where a write to `path` must land: through a symlink of this user's own to its target, so that
 * whoever reads the target sees the new content and the link stays a link (safe-path.ts).
 */
const target = (path: string): Promise<string> => safeTarget(path);

/**
 * Writes a file so that a reader sees the old content or the new, never half of either, even
 * after a crash: temp file in the same folder, fsync, rename over the target, fsync the folder.
 * Mode 0600 from the moment the file exists, since it may hold a token (or the mode and owner the
 * file had, when `keep` says so). A write that fails (a full disk) leaves no temporary copy.
 */
/**
 * Removes temporary copies that a killed writer left beside the file (they may hold tokens). The
 * caller holds the file's lock, so no live writer is half-way through one of them.
 */
async function removeLeftovers(path: string): Promise<void> {
  const file = await target(path);
  const stem = `.${basename(file)}.`;
  const names = await readdir(dirname(file)).catch(() => []);
  const ours = names.filter((n) => n.startsWith(stem) && /^[0-9a-f]{12}\.tmp$/.test(n.slice(stem.length)));
  await Promise.all(ours.map((n) => unlink(join(dirname(file), n)).catch(() => undefined)));
}

export async function writeFileAtomic(path: string, data: string, keep: { mode: number; uid: number; gid: number } | null = null): Promise<void> {
  const file = await target(path);
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await removeLeftovers(file);
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    try {
      // A file someone else made keeps its mode and owner: the integration reading it still can.
      if (keep) {
        if (keep.uid !== process.getuid?.() || keep.gid !== process.getgid?.()) await handle.chown(keep.uid, keep.gid);
        await handle.chmod(keep.mode);
      }
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/**
 * Checks at start that a file can be written where it is meant to go: its folder exists and is
 * writable, and the path is not a folder. A typo in a path fails here, before any token is spent.
 */
export async function writableFolder(path: string, what: string, mode = 0o600): Promise<string | null> {
  const file = await safeTarget(path, what);
  const dir = dirname(file);
  try {
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`${what} ${path}: ${dir} is not a folder`);
    await access(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = errnoCode(err);
    throw new UsageError(`${what} ${path}: ${code === 'ENOENT' ? `folder ${dir} does not exist` : `cannot write in ${dir} (${code ?? 'unknown error'})`}`);
  }
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory()) throw new UsageError(`${what} ${path} is a folder, not a file`);
  const loose = info ? looserThan(info.mode, mode) : null;
  return loose ? `${what} ${path} ${loose}: sftoken writes it 0${mode.toString(8)} from the next token on` : null;
}

/** Takes the file's lock once to clear what a killed writer left: a stale lock, temporary copies. */
export async function tidy(path: string): Promise<void> {
  await withFileLock(path, () => removeLeftovers(path));
}

/**
 * Rewrites a file someone else owns (a .env, a Data Loader config) through `edit`, under the
 * file's lock, keeping its owner and group and giving it `mode` (it holds a token: 0600 unless
 * the user asked for 0640); a file that does not exist yet is edited from '' unless `mustExist`.
 * Failures a retry may cure come back as TransientError.
 */
export async function editInPlace(path: string, edit: (content: string) => string, options: { mustExist?: boolean; mode?: number } = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  try {
    await withFileLock(path, async () => {
      const file = await safeTarget(path);
      const info = await stat(file).catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT' && !options.mustExist) return null;
        throw err;
      });
      const content = info ? await readFile(file, 'utf8') : '';
      await writeFileAtomic(path, edit(content), info ? { mode, uid: info.uid, gid: info.gid } : { mode, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
    });
  } catch (err) {
    if (err instanceof UsageError || err instanceof TransientError || err instanceof NewerHeld) throw err;
    throw new TransientError(`cannot write ${path}: ${errnoCode(err) ?? describe(err)}`);
  }
}
