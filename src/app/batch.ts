import { processBatch } from '../pipeline/index.js';
import { isFinal, type Handled, type MessageRecord, type RawMessage } from '../pipeline/types.js';
import type { RunContext } from './context.js';
import { redact } from '../util/redact.js';
import { summarize, toJson, toText } from './report.js';

// Records leave the process on stdout as the log does on stderr: through redaction, since a
// note may quote another program's words (a destination helper's stderr) that held a secret.
function print(ctx: RunContext, records: readonly MessageRecord[]): void {
  const lines = records.map((r) => redact(ctx.config.json ? toJson(r) : toText(r)));
  if (lines.length) ctx.io.stdout(lines.join('\n') + '\n');
}

/**
 * Runs one batch, prints its records and saves the ledger. The ledger is saved even when the
 * batch stops on a configuration error, so that no login already made is forgotten.
 */
export async function runBatch(ctx: RunContext, messages: readonly RawMessage[]): Promise<Handled[]> {
  let handled: Handled[];
  try {
    handled = await processBatch(messages, ctx.deps);
  } finally {
    await ctx.checkpoint();
  }
  const records = handled.map((h) => h.record);
  print(ctx, records);
  ctx.notifier?.handled(records);
  ctx.log.info('batch done', { messages: records.length, ...summarize(records) });
  return handled;
}

/**
 * DESIGN §2: 3 when a token email was refused and a person must look (a refusal already
 * reported by an earlier run does not count again), else 1 when one failed and will be retried,
 * else 0: every token went where it should.
 */
export function exitCodeFor(records: readonly MessageRecord[]): 0 | 1 | 3 {
  if (records.some((r) => r.outcome === 'rejected' && r.reason !== 'already-rejected')) return 3;
  return records.every((r) => isFinal(r.outcome)) ? 0 : 1;
}
