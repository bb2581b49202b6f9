import { processBatch } from '../pipeline/index.js';
import type { Handled, MessageRecord, RawMessage } from '../pipeline/types.js';
import type { RunContext } from './context.js';
import { summarize, toJson, toText } from './report.js';

// Records leave the process on stdout as the log does on stderr: through redaction, since a
// note may quote another program's words (a destination helper's stderr) that held a secret.
export function print(ctx: RunContext, records: readonly MessageRecord[]): void {
  const lines = records.map((r) => ctx.config.secrets.redact(ctx.config.json ? toJson(r) : toText(r)));
  if (lines.length) ctx.io.stdout(lines.join('\n') + '\n');
}

/**
 * Runs one batch, prints its records and saves the ledger. The ledger is saved even when the
 * batch stops on a configuration error, so that no login already made is forgotten. `settle`,
 * when given, acts on the messages (deliver keeps a refused one) before anything is reported,
 * and may add to their records.
 */
export async function runBatch(ctx: RunContext, messages: readonly RawMessage[], settle?: (handled: Handled[]) => Promise<Handled[]>): Promise<Handled[]> {
  let handled: Handled[];
  try {
    handled = await processBatch(messages, ctx.deps);
    if (settle) handled = await settle(handled);
  } finally {
    await ctx.checkpoint();
  }
  const records = handled.map((h) => h.record);
  print(ctx, records);
  ctx.notifier?.handled(records);
  ctx.log.info('batch done', { messages: records.length, ...summarize(records) });
  return handled;
}
