import { Ledger } from '../ledger.js';
import { createLogger, type Logger } from '../log.js';
import type { Config } from '../config.js';
import { senderPolicy, type TrustPolicy } from '../mail/authenticate.js';
import { toJson, toText, summarize } from '../output.js';
import { isFinal, type MessageRecord } from '../outcome.js';
import { processBatch, type Handled, type PipelineDeps } from '../pipeline.js';
import type { RawMessage } from '../sources/types.js';
import { openStore } from '../stores/index.js';
import { UsageError } from '../errors.js';

/** What every command sets up before its source hands over messages. */
export interface RunContext {
  config: Config;
  log: Logger;
  deps: PipelineDeps;
}

async function trustPolicy(config: Config): Promise<TrustPolicy> {
  if (config.trust === 'sender') return senderPolicy;
  throw new UsageError(`--trust ${config.trust} is not available in this version; use --trust sender`);
}

export async function prepare(config: Config): Promise<RunContext> {
  const log = createLogger(config.logLevel, config.json ? 'json' : 'text');
  if (!config.dryRun && config.verify) {
    throw new UsageError('the test login is not available in this version: pass --no-verify to store unverified tokens, or --dry-run');
  }
  const trust = await trustPolicy(config);
  const ledger = await Ledger.open(config.state);
  const store = config.dryRun ? null : await openStore(config.store);
  return { config, log, deps: { trust, ledger, store, verifier: null, knownUser: null, maxMessageBytes: config.maxMessageBytes, log } };
}

export function print(records: readonly MessageRecord[], json: boolean): void {
  const lines = records.map((r) => (json ? toJson(r) : toText(r)));
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');
}

/** Runs one batch, prints its records, and saves the ledger unless this is a dry run. */
export async function runBatch(ctx: RunContext, messages: readonly RawMessage[]): Promise<Handled[]> {
  const handled = await processBatch(messages, ctx.deps);
  const records = handled.map((h) => h.record);
  print(records, ctx.config.json);
  if (!ctx.config.dryRun) await ctx.deps.ledger.save();
  ctx.log.info('batch done', { messages: records.length, ...summarize(records) });
  return handled;
}

export function exitCodeFor(records: readonly MessageRecord[]): 0 | 1 {
  return records.every((r) => isFinal(r.outcome)) ? 0 : 1;
}
