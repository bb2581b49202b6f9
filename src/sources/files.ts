import { closeSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RawMessage } from '../pipeline/types.js';
import { describe, errnoCode } from '../util/errors.js';
import { looksLikeMbox, mboxMessages } from './mbox.js';

interface FileListing {
  messages: RawMessage[];
  /** One line each for paths that gave nothing to process: missing, unreadable, nothing inside. */
  problems: string[];
}

/** A message file of a Maildir: any name (but dot files), in a `cur` or `new` folder. */
function inMaildir(path: string): boolean {
  const folder = basename(dirname(path));
  return (folder === 'cur' || folder === 'new') && !basename(path).startsWith('.');
}

// Compressed mail is not read: said in one line, so that nobody thinks it was looked at.
const COMPRESSED = /\.(gz|bz2|xz|zst|zip)$/i;

/** Under a directory: *.eml and *.mbox files, and the messages of any Maildir (cur/, new/) inside it. */
async function messageFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => /\.(eml|mbox)$/i.test(path) || COMPRESSED.test(path) || inMaildir(path))
    .sort();
}

function head(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    // Room for a byte-order mark before the 5 bytes of an mbox's "From ".
    const buffer = Buffer.alloc(8);
    return buffer.subarray(0, readSync(fd, buffer, 0, 8, 0));
  } finally {
    closeSync(fd);
  }
}

function fileMessage(path: string, info: Stats, sequence: number): RawMessage {
  // readFileSync: for small files it costs a fraction of the thread pool's open/stat/read/close.
  return { source: path, receivedAt: info.mtime, sequence, size: info.size, load: async () => readFileSync(path) };
}

/**
 * Expands the paths a user gave into messages: an mbox file yields each of its messages; any
 * other file is one message, whatever its name; a directory yields the *.eml and *.mbox files and
 * the Maildir messages below it. Only regular files are read (a FIFO or a device would hang or never end).
 * A bad path is reported and the rest still run.
 */
export async function listFiles(paths: readonly string[]): Promise<FileListing> {
  const files = new Map<string, Stats>();
  const problems: string[] = [];
  const take = (path: string, info: Stats): void => {
    if (!info.isFile()) problems.push(`${path}: not a regular file (a pipe, device or socket is never read)`);
    else if (COMPRESSED.test(path)) problems.push(`${path}: compressed; decompress it first (gunzip, unxz, …) and replay the result`);
    else files.set(path, info);
  };
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (!info.isDirectory()) {
        take(path, info);
        continue;
      }
      const found = await messageFilesUnder(path);
      if (found.length === 0) problems.push(`${path}: no .eml or .mbox files or Maildir messages in this directory`);
      for (const file of found) if (!files.has(file)) take(file, await stat(file));
    } catch (err) {
      const code = errnoCode(err);
      problems.push(`${path}: ${code === 'ENOENT' ? 'no such file or directory' : (code ?? describe(err))}`);
    }
  }
  const messages: RawMessage[] = [];
  for (const [path, info] of files) {
    if (info.size > 0 && looksLikeMbox(head(path))) messages.push(...mboxMessages(path, info.mtime, messages.length));
    else messages.push(fileMessage(path, info, messages.length));
  }
  return { messages, problems };
}
