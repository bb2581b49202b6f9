import type { Config } from '../config/index.js';
import { listFiles } from '../sources/files.js';
import { exitCodeFor } from '../pipeline/outcomes.js';
import { runBatch } from './batch.js';
import { buildContext } from './context.js';
import type { Io } from './io.js';

/** Saved mail as one batch; a path that gave nothing is a usage problem (exit 2). */
export async function replayFiles(config: Config, io: Io, paths: readonly string[]): Promise<number> {
  const ctx = await buildContext(config, io);
  const { messages, problems } = await listFiles(paths);
  for (const p of problems) io.stderr(`sftoken: ${p}\n`);
  const handled = await runBatch(ctx, messages);
  await ctx.notifier?.flush();
  if (problems.length) return 2;
  return exitCodeFor(handled.map((h) => h.record));
}
