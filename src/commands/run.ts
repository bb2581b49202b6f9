import { Ledger } from '../state/ledger.js';
import { createLogger, type Logger } from '../util/log.js';
import type { Config } from '../config.js';
import { senderProver, trustPolicy, type Prover, type TrustPolicy } from '../trust/policy.js';
import { loadDkimKeys } from '../trust/dkim-keys.js';
import { toJson, toText, summarize } from '../app/report.js';
import { isFinal, type MessageRecord } from '../outcome.js';
import { processBatch, type Handled, type PipelineDeps } from '../pipeline.js';
import type { RawMessage } from '../sources/types.js';
import { openStore } from '../stores/index.js';
import { UsageError } from '../util/errors.js';
import { loadAccounts } from '../config/accounts.js';
import { SalesforceVerifier } from '../verify/salesforce.js';

/** What every command sets up before its source hands over messages. */
export interface RunContext {
  config: Config;
  log: Logger;
  deps: PipelineDeps;
}

async function prover(config: Config): Promise<Prover> {
  if (config.trust === 'sender') return senderProver;
  if (config.trust === 'auth-results') {
    const { authResultsProver } = await import('../trust/auth-results-prover.js');
    return authResultsProver(config.authservId as string);
  }
  const { dkimProver } = await import('../trust/dkim.js');
  return dkimProver(config.dkimKeys ? loadDkimKeys(config.dkimKeys) : new Map());
}

async function buildTrustPolicy(config: Config): Promise<TrustPolicy> {
  return trustPolicy({ prover: await prover(config), trustedForwarders: config.trustedForwarders });
}

export async function prepare(config: Config): Promise<RunContext> {
  const log = createLogger(config.logLevel, config.json ? 'json' : 'text');
  const trust = await buildTrustPolicy(config);
  const accounts = await loadAccounts(config.accounts, process.env, { loginUrl: config.loginUrl, apiVersion: config.apiVersion });
  const verifying = !config.dryRun && config.verify;
  if (verifying && accounts.length === 0) {
    throw new UsageError('no Salesforce account to test tokens with: set SFTOKEN_SF_USERNAME and SFTOKEN_SF_PASSWORD, or list accounts in the config file; or pass --no-verify');
  }
  const ledger = await Ledger.open(config.state);
  const store = config.dryRun ? null : await openStore(config.store);
  const verifier = verifying
    ? new SalesforceVerifier(accounts, ledger, log, {
        timeoutMs: config.loginTimeout * 1000,
        retries: config.loginRetries,
        backoffBaseMs: config.loginBackoff * 1000,
        maxFailedLogins: config.maxFailedLogins,
      })
    : null;
  if (!config.dryRun && !config.verify) log.warn('--no-verify: tokens are stored without a test login');
  const known = new Set(accounts.map((a) => a.username));
  const knownUser = known.size ? (username: string) => known.has(username) : null;
  return { config, log, deps: { trust, ledger, store, verifier, knownUser, maxMessageBytes: config.maxMessageBytes, log } };
}

function print(records: readonly MessageRecord[], json: boolean): void {
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
