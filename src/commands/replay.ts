import type { Config } from '../config.js';
import { listFiles } from '../sources/files.js';
import { exitCodeFor, prepare, runBatch } from './run.js';

/** `sftoken replay <path..>`: saved .eml files as one batch. Returns the exit code. */
export async function replay(config: Config, paths: readonly string[]): Promise<number> {
  const ctx = await prepare(config);
  const { messages, problems } = await listFiles(paths);
  for (const p of problems) process.stderr.write(`sftoken: ${p}\n`);
  const handled = await runBatch(ctx, messages);
  if (problems.length) return 2;
  return exitCodeFor(handled.map((h) => h.record));
}
