import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, errnoCode } from '../util/errors.js';
import type { RawMessage } from '../pipeline/types.js';

interface FileListing {
  messages: RawMessage[];
  /** One line each for paths that gave nothing to process: missing, unreadable, no .eml inside. */
  problems: string[];
}

async function emlFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.eml'))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

/**
 * Expands the paths a user gave: a file is taken as it is, whatever its name; a directory
 * yields the *.eml files below it. A bad path is reported and the rest still run.
 */
export async function listFiles(paths: readonly string[]): Promise<FileListing> {
  // One stat per file: a named file's is kept, a directory's entries are stat'ed as found.
  const files = new Map<string, Stats | null>();
  const problems: string[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (info.isDirectory()) {
        const found = await emlFilesUnder(path);
        if (found.length === 0) problems.push(`${path}: no .eml files in this directory`);
        for (const file of found) if (!files.has(file)) files.set(file, await stat(file).catch(() => null));
      } else {
        files.set(path, info);
      }
    } catch (err) {
      const code = errnoCode(err);
      problems.push(`${path}: ${code === 'ENOENT' ? 'no such file or directory' : (code ?? describe(err))}`);
    }
  }
  const messages = [...files].map(
    ([file, info], sequence): RawMessage => ({
      source: file,
      receivedAt: info?.mtime ?? null,
      sequence,
      size: info?.size ?? null,
      load: () => readFile(file),
    }),
  );
  return { messages, problems };
}
