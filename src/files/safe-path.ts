import { lstat, realpath, stat } from 'node:fs/promises';
import { UsageError, errnoCode } from '../util/errors.js';

/**
 * Where a write to `path` may land. A symlink is followed only when it and the file it names are
 * this user's own: a link planted by another user (or to another user's file) would otherwise
 * send a token, or an edit, wherever its owner chose. Anything but a regular file (a FIFO, a
 * device, a socket) is refused too: reading one hangs, writing one goes nowhere.
 */
export async function safeTarget(path: string, what = 'file'): Promise<string> {
  const link = await lstat(path).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  });
  if (!link) return path;
  let target = path;
  if (link.isSymbolicLink()) {
    const me = process.geteuid?.();
    const real = await realpath(path).catch(() => null);
    if (real === null) throw new UsageError(`${what} ${path} is a link to nothing: point it at the file itself`);
    const info = await stat(real);
    if (me !== undefined && (link.uid !== me || info.uid !== me)) {
      throw new UsageError(
        `${what} ${path} is a link${link.uid !== me ? ` made by another user (uid ${link.uid})` : ''} to ${real}${info.uid !== me ? `, owned by another user (uid ${info.uid})` : ''}: refusing to follow it; point sftoken at the file itself`,
      );
    }
    target = real;
  }
  const info = await stat(target);
  if (!info.isFile()) throw new UsageError(`${what} ${path} is not a regular file (a folder, pipe, device or socket): refusing to read or write it`);
  return target;
}

/** What a file's mode gives away beyond `wanted`: a warning for a person, or null. */
export function looserThan(mode: number, wanted: number): string | null {
  const extra = mode & 0o777 & ~wanted;
  if (!extra) return null;
  return `is mode 0${(mode & 0o777).toString(8)}, readable or writable beyond 0${wanted.toString(8)}`;
}

/**
 * A token file's `?mode=`: 0600, or 0640 for a group (the integration's) that reads it. Nothing
 * looser: a token readable by every user of the machine is a token anyone can use.
 */
export function tokenFileMode(query: URLSearchParams, where: string): number {
  const text = query.get('mode') ?? '0600';
  if (!/^0?6[04]0$/.test(text)) throw new UsageError(`${where}: mode ${text} must be 0600 or 0640`);
  return Number.parseInt(text, 8);
}
