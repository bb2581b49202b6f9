import { unlink } from 'node:fs/promises';
import type { Config } from '../config/index.js';
import { exitCodeFor, meaning } from '../pipeline/outcomes.js';
import type { Handled } from '../pipeline/types.js';
import { listFiles } from '../sources/files.js';
import { heldName } from '../sources/held.js';
import { runBatch } from './batch.js';
import { buildContext, type RunContext } from './context.js';
import { tellLoginPathEnds } from './path-notices.js';
import type { Io } from './io.js';
import { noted } from './report.js';

/**
 * A held token email whose token is now safe (stored, or already applied) leaves the held folder:
 * it has had its one more try and needs no person any more.
 */
function releaseHeld(ctx: RunContext): (handled: Handled[]) => Promise<Handled[]> {
  return (handled) =>
    Promise.all(
      handled.map(async (h) => {
        const name = heldName(ctx.config.heldPath, h.message.source);
        if (!name || ctx.config.dryRun || meaning(h.record.outcome, h.record.reason).settle !== 'safe') return h;
        await unlink(h.message.source).catch(() => undefined);
        ctx.held.recordHeld(name, null);
        ctx.log.info('held token email released', { path: h.message.source });
        return noted(h, 'taken out of the held folder');
      }),
    );
}

/** Saved mail as one batch; a path that gave nothing is a usage problem (exit 2). */
export async function replayFiles(config: Config, io: Io, paths: readonly string[]): Promise<number> {
  const ctx = await buildContext(config, io);
  await tellLoginPathEnds(ctx, new Date());
  const { messages, problems } = await listFiles(paths);
  for (const p of problems) io.stderr(`sftoken: ${p}\n`);
  const handled = await runBatch(ctx, messages, releaseHeld(ctx));
  await ctx.notifier?.flush();
  if (problems.length) return 2;
  return exitCodeFor(handled.map((h) => h.record));
}
