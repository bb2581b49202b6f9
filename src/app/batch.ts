import { processBatch } from '../pipeline/index.js';
import { isFinal, type Handled, type MessageRecord, type RawMessage } from '../pipeline/types.js';
import type { RunContext } from './context.js';
import { summarize, toJson, toText } from './report.js';

function print(ctx: RunContext, records: readonly MessageRecord[]): void {
  const lines = records.map((r) => (ctx.config.json ? toJson(r) : toText(r)));
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
  ctx.log.info('batch done', { messages: records.length, ...summarize(records) });
  return handled;
}

/** DESIGN §2: 0 when every message reached a final outcome, 1 when one failed (retried later). */
export function exitCodeFor(records: readonly MessageRecord[]): 0 | 1 {
  return records.every((r) => isFinal(r.outcome)) ? 0 : 1;
}
