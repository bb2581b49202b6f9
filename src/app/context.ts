import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/index.js';
import { DEFAULT_LIMITS } from '../config/limits.js';
import type { OpenDestination, PipelineDeps } from '../pipeline/types.js';
import type { Destination, StoreContext } from '../stores/index.js';
import { createNotifier, type Notifier } from '../notify/index.js';
import { tidy } from '../files/atomic-file.js';
import { ledgerJournal } from '../state/journal.js';
import { stateError, type FailedLoginMarks, type HeldMarks, type NoticeMarks, type RefreshMarks } from '../state/ledger.js';
import { Ledger, type MailboxMarks } from '../state/ledger.js';
import { buildTrust } from '../trust/index.js';
import { UsageError } from '../util/errors.js';
import { createLogger, type Logger } from '../util/log.js';
import type { Io } from './io.js';

/** What every command sets up once, before its source hands over messages. */
export interface RunContext {
  config: Config;
  io: Io;
  log: Logger;
  deps: PipelineDeps;
  /** Makes the ledger durable; the only way anything saves it, and a no-op in a dry run. */
  checkpoint: () => Promise<void>;
  /** The ledger's view for mailbox sources: their high-water marks. */
  marks: MailboxMarks;
  /** The ledger's view for the held folder: why each message in it was refused. */
  held: HeldMarks;
  /** The ledger's view for notices told once (a login path's end). */
  notices: NoticeMarks;
  /** The ledger's view for failed logins other copies marked in a mailbox. */
  budget: FailedLoginMarks;
  /** The ledger's view for issued accounts' access tokens and their schedule. */
  refresh: RefreshMarks;
  /** --notify: told about every batch; null without targets. */
  notifier: Notifier | null;
  /**
   * The run's stop: aborted on SIGTERM (watch) or when a mailbox meets a configuration error.
   * Its signal reaches every wait (util/deadline.ts), connection, helper and webhook.
   */
  stop: AbortController;
}

/** What destinations get from the run: the accounts' passwords, the helper time limit, the log. */
export function storeContext(config: Config, log: Logger, signal: AbortSignal): StoreContext {
  const passwords = new Map(config.accounts.map((a) => [a.username, a.password]));
  return {
    passwordFor: (username) => passwords.get(username) ?? null,
    passwordUsers: [...passwords.keys()],
    issuedUsers: config.issuedAccounts.map((a) => a.username),
    helperTimeoutMs: config.helperTimeoutMs,
    secrets: config.secrets,
    signal,
    warn: (message, fields) => log.warn(message, fields),
  };
}

/**
 * Opens every destination once, global and per account, each proving it can be written: a typo in
 * a --store fails here, before any token is spent. Returns where each user's token goes.
 */
async function openDestinations(config: Config, log: Logger, signal: AbortSignal): Promise<(username: string) => readonly OpenDestination[]> {
  const context = storeContext(config, log, signal);
  const accounts = [...config.accounts, ...config.issuedAccounts];
  // The global destinations serve accounts without their own (or any user, with no account listed).
  const global = accounts.length === 0 || accounts.some((a) => !a.destinations) ? config.destinations : [];
  const all = [...global, ...accounts.flatMap((a) => a.destinations ?? [])];
  const opened = new Map<string, OpenDestination>();
  for (const d of all) if (!opened.has(d.spec)) opened.set(d.spec, { spec: d.spec, store: await d.open(context) });
  const pick = (list: readonly Destination[]): OpenDestination[] => list.flatMap((d) => opened.get(d.spec) ?? []);
  const shared = pick(global);
  const perUser = new Map(accounts.map((a) => [a.username, a.destinations ? pick(a.destinations) : shared]));
  return (username) => perUser.get(username) ?? shared;
}

/** The default state folder is made on first use, and says so; a chosen one must exist (config). */
async function stateFolder(config: Config, log: Logger): Promise<void> {
  const folder = dirname(config.statePath);
  if (!config.stateIsDefault || existsSync(folder)) return;
  await mkdir(folder, { recursive: true, mode: 0o700 });
  log.info('created the state folder', { folder });
}

/**
 * Builds the run once from the configuration: logger, trust policy, ledger, destination and
 * verifier. This is the one place that decides what a dry run leaves out (logins, writes,
 * saving the ledger), so no stage needs to ask. `unattended`: nobody runs it by hand (watch).
 */
export async function buildContext(config: Config, io: Io, run: { unattended?: boolean; issuing?: boolean } = {}): Promise<RunContext> {
  const log = createLogger(config.logLevel, config.json ? 'json' : 'text', io.stderr, config.secrets);
  const stop = new AbortController();
  const trust = await buildTrust(config.trust);
  const verifying = !config.dryRun && config.verify;
  if (verifying && config.accounts.length === 0) {
    throw new UsageError('no Salesforce account to test tokens with: set SFTOKEN_SF_USERNAME and SFTOKEN_SF_PASSWORD, or list accounts in the config file; or pass --no-verify');
  }
  // Destinations first: a configuration they refuse leaves nothing behind, not even a state folder.
  const destinations = config.dryRun ? null : await openDestinations(config, log, stop.signal);
  if (!config.dryRun) {
    await stateFolder(config, log);
    // A killed run may have left a lock or a temporary copy beside the state file: cleared first.
    await tidy(config.statePath).catch((err: unknown) => {
      throw stateError(config.statePath, err);
    });
  }
  const ledger = await Ledger.open(config.statePath);
  const checkpoint = config.dryRun ? async () => undefined : () => ledger.save();
  const journal = ledgerJournal(ledger, checkpoint);
  let verifier: PipelineDeps['verifier'] = null;
  if (verifying) {
    // jsforce and its verifier load only when a login may be due: they cost start-up time.
    const { SalesforceVerifier } = await import('../verify/salesforce.js');
    verifier = new SalesforceVerifier(config.accounts, journal, log, config.login, { stop: stop.signal, waitOnClosedPaths: run.unattended ?? false, pathEnds: config.loginPathEnds });
  }
  if (!config.dryRun && !config.verify && !run.issuing) log.warn('--no-verify: tokens are stored without a test login');
  // Weak by nature, meant for saved files a person picked: on a mailbox anyone can write a From line.
  if (config.trust.mode === 'sender' && config.mailboxes.length > 0) {
    log.warn('--trust sender: mail that arrives is trusted on its From line alone, which anyone can write; use --trust dkim (the default) or auth-results on a mailbox');
  }
  const known = new Set(config.accounts.map((a) => a.username));
  return {
    config,
    io,
    log,
    deps: {
      trust: trust.policy,
      trustFingerprint: trust.fingerprint,
      ledger,
      journal,
      checkpoint,
      destinations,
      verifier,
      knownUser: known.size ? (username) => known.has(username) : null,
      maxMessageBytes: config.maxMessageBytes,
      messageBudgetMs: DEFAULT_LIMITS.messageBudgetMs,
      log,
      secrets: config.secrets,
    },
    checkpoint,
    marks: ledger,
    held: ledger,
    notices: ledger,
    budget: ledger,
    refresh: ledger,
    notifier: config.dryRun ? null : createNotifier(config.notify, log, stop.signal, config.secrets),
    stop,
  };
}
