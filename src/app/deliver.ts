import { basename } from 'node:path';
import type { Config } from '../config/index.js';
import { DEFAULT_LIMITS } from '../config/limits.js';
import { meaning } from '../pipeline/outcomes.js';
import type { Handled } from '../pipeline/types.js';
import { prune } from '../sources/held.js';
import { receive } from '../sources/stdin.js';
import { TransientError, describe } from '../util/errors.js';
import { runBatch } from './batch.js';
import { buildContext, type RunContext } from './context.js';
import { tellLoginPathEnds } from './path-notices.js';
import type { Io } from './io.js';
import { noted } from './report.js';

const HELD_MAX_AGE_MS = DEFAULT_LIMITS.heldDays * 86_400_000;

/** Held messages past their time go, each with a log line, and their bookkeeping with them. */
export async function pruneHeld(ctx: RunContext): Promise<void> {
  for (const gone of await prune(ctx.config.heldPath, HELD_MAX_AGE_MS)) {
    ctx.held.recordHeld(gone.name, null);
    ctx.log.info('held token email pruned', { path: gone.path, heldSince: gone.heldAt.toISOString(), keptDays: DEFAULT_LIMITS.heldDays });
  }
}

/**
 * One message from a mail server (Postfix pipe or mailbox_command, procmail, a Sieve pipe). The
 * answer is what the outcomes table says for it: 0 when it went where it should, or is plainly
 * not a token email; 75 for a failure a retry may cure, so that the server keeps the message. A
 * token email refused for good is first kept in the held folder and then 0: the server must not
 * bounce it to Salesforce, and it must not disappear. If it cannot be kept, 75.
 */
export async function deliverOne(config: Config, io: Io, input: NodeJS.ReadableStream): Promise<number> {
  const ctx = await buildContext(config, io);
  let received;
  try {
    received = await receive(input, config.heldPath, config.maxMessageBytes);
  } catch (err) {
    throw new TransientError(`cannot take the message: ${describe(err).split('\n')[0]} (held folder ${config.heldPath})`);
  }
  let kept = false;
  const hold = async (handled: Handled[]): Promise<Handled[]> =>
    Promise.all(
      handled.map(async (h) => {
        if (config.dryRun || meaning(h.record.outcome, h.record.reason).deliver !== 'hold') return h;
        const path = await received.hold();
        kept = true;
        const name = basename(path);
        ctx.held.recordHeld(name, {
          reason: h.record.reason ?? h.record.outcome,
          at: new Date().toISOString(),
          ...(h.record.username ? { username: h.record.username } : {}),
          ...(h.record.fingerprint ? { fingerprint: h.record.fingerprint } : {}),
        });
        ctx.log.warn('token email held', { path, reason: h.record.reason ?? null });
        return noted(h, `held in ${path}: after a fix, sftoken replay ${config.heldPath}`);
      }),
    );
  try {
    await tellLoginPathEnds(ctx, new Date());
    const [handled] = await runBatch(ctx, [received.message], hold);
    await ctx.notifier?.flush();
    await pruneHeld(ctx);
    await ctx.checkpoint();
    const answer = handled ? meaning(handled.record.outcome, handled.record.reason).deliver : 0;
    return answer === 'hold' ? 0 : answer;
  } finally {
    if (!kept) await received.discard();
  }
}
