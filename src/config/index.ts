// config/: options from flags, the environment and the config file, made into one fully
// validated, typed Config (mailboxes, accounts, destinations, secrets read by reference).
import { homedir } from 'node:os';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { resolveSecret } from './secrets.js';
import { parseDestination, type Destination } from '../stores/index.js';
import type { TrustSettings } from '../trust/index.js';
import { UsageError } from '../util/errors.js';
import type { LogLevel } from '../util/log.js';
import { Redactor } from '../util/redact.js';
import { parseSince } from '../util/since.js';
import { accountOutlines, loadAccounts, type Account, type AccountOutline } from './accounts.js';
import { loadIssuedAccounts, type IssuedAccount } from './issued-accounts.js';
import { LOGIN_PATH_KINDS, defaultPathEnds, type PathEnds } from '../verify/login-paths.js';
import { loadConfigFile, unknownKey, type ConfigFile } from './file.js';
import { mailboxFromFlags, mailboxesFromFile, type Mailbox } from './mailboxes.js';
import { newReplicaId } from './replica.js';
import { DEFAULT_LIMITS } from './limits.js';
import { GROUPS, OPTIONS, envName, type GroupName, type OptionKey, type Settings } from './options.js';

export type { Account } from './accounts.js';
export { mailboxKey, type AfterMode, type ImapCredentials, type Mailbox } from './mailboxes.js';

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Where the ledger lives when --state is not given: the XDG state folder, created on first use. */
export function defaultStatePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'sftoken', 'state.json');
}

/** The environment variables that carry secrets: named in --help, never flags. */
export const LOGIN_SECRETS = [
  ['SFTOKEN_SF_USERNAME', 'the Salesforce user to test tokens for (or accounts in the config file)'],
  ['SFTOKEN_SF_PASSWORD', "that user's password"],
  ['SFTOKEN_SF_CLIENT_ID', 'an OAuth client (connected app) for the username-password flow, instead of SOAP login()'],
  ['SFTOKEN_SF_CLIENT_SECRET', "that client's secret"],
] as const;
export const IMAP_SECRETS = [
  ['SFTOKEN_IMAP_PASSWORD', 'the mailbox password'],
  ['SFTOKEN_IMAP_ACCESS_TOKEN', 'a fixed OAuth 2.0 access token (XOAUTH2), instead of a password'],
] as const;

/** How the test login behaves and how it guards the user against lockout. */
export interface LoginSettings {
  timeoutMs: number;
  /** Extra attempts within one run after a transient failure. */
  retries: number;
  backoffBaseMs: number;
  /** Failed logins per user per hour after which no more are tried. */
  maxFailedLogins: number;
}

/** With --replicas: how this process claims messages against the others. */
export interface ReplicaSettings {
  replicaId: string;
  expiryMs: number;
}

/** What bounds one IMAP connection: time per command, bytes per line and per message. */
export interface ImapLimits {
  idleRestartMs: number;
  commandTimeoutMs: number;
  maxMessageBytes: number;
}

interface WatchSettings {
  heartbeatMs: number;
  /**
   * /healthz for anyone who reaches the port; /status and /metrics (usernames, fingerprints) for
   * a loopback client, or for any client that presents `token` as a bearer token.
   */
  health: { host: string; port: number; token: string | null } | null;
  /** How far back a first start looks when --since does not say. */
  firstSince: Date;
}

/** Everything a command needs to know, validated once: the rest of the code trusts it. */
export interface Config {
  dryRun: boolean;
  verify: boolean;
  json: boolean;
  logLevel: LogLevel;
  maxMessageBytes: number;
  statePath: string;
  /** No --state given: the default folder is made on first use. */
  stateIsDefault: boolean;
  /** The Maildir where deliver keeps the token emails it refused (--held, or beside the state file). */
  heldPath: string;
  trust: TrustSettings;
  destinations: Destination[];
  login: LoginSettings;
  /** From the config file's accounts and SFTOKEN_SF_USERNAME/PASSWORD; passwords are read. */
  accounts: Account[];
  /** Empty for commands that read no mailbox. */
  mailboxes: Mailbox[];
  /** How long a helper (exec destination, pass) may run before it counts as failed. */
  helperTimeoutMs: number;
  /** check --login: one test login per account with the stored token. */
  checkLogin: boolean;
  /** --notify: where to tell people about stored, refused and failed tokens. */
  notify: string[];
  watch: WatchSettings;
  imap: ImapLimits;
  /** Null unless --replicas: then every message is claimed on the server before it is read. */
  replicas: ReplicaSettings | null;
  /** Every secret read for this configuration, and what scrubs them from whatever leaves the run. */
  secrets: Redactor;
  /** When each security-token login path ends: Salesforce's published dates, or the config file's. */
  loginPathEnds: PathEnds;
  /** Every configured account without its secrets: what `status` reports on. */
  accountOutlines: AccountOutline[];
  /** Accounts whose access tokens sftoken issues and keeps fresh (auth: jwt, client-credentials). */
  issuedAccounts: IssuedAccount[];
  /** refresh --account: the one issued account to refresh; null for all. */
  refreshAccount: string | null;
}

/**
 * `loginPathEnds` in the config file: `{ "soap-login": "2027-06-01", "oauth-username-password":
 * "2027-02-20" }`, each optional; Salesforce has moved such dates before.
 */
function loginPathEnds(value: unknown, filePath: string): PathEnds {
  const ends = { ...defaultPathEnds() };
  if (value === undefined) return ends;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${filePath}: loginPathEnds must be an object such as {"soap-login": "2027-06-01"}`);
  for (const [key, date] of Object.entries(value)) {
    const kind = LOGIN_PATH_KINDS.find((k) => k === key);
    if (!kind) throw unknownKey(`${filePath}: loginPathEnds`, key, LOGIN_PATH_KINDS);
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))
      throw new UsageError(`${filePath}: loginPathEnds.${key} must be a date such as 2027-06-01`);
    ends[kind] = new Date(`${date}T00:00:00Z`);
  }
  return ends;
}

/** Where values come from, highest precedence first: flags, then env, then the config file. */
interface ConfigSources {
  /** Values given as flags; undefined where the flag was not given. */
  flags: Partial<Record<OptionKey, unknown>>;
  env: NodeJS.ProcessEnv;
  file: ConfigFile;
  filePath?: string;
  /** The option groups of the command that runs: other options keep their defaults. */
  groups?: readonly GroupName[];
}

function forwarders(value: unknown, filePath: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && /^[^\s@]+@[^\s@]+$/.test(v))) {
    throw new UsageError(`${filePath}: trustedForwarders must be a list of email addresses`);
  }
  return value.map((v) => v.toLowerCase());
}

/**
 * A destination file that is the state file, or another destination's, would have one writer
 * overwrite the other: the ledger would replace the tokens, or one token file the other.
 */
function noSharedFiles(statePath: string, destinations: readonly Destination[]): void {
  const owners = new Map<string, string>([[resolve(statePath), '--state']]);
  for (const d of new Map(destinations.map((x) => [x.spec, x])).values()) {
    for (const file of d.files) {
      const owner = owners.get(resolve(file));
      // Two dotenv variables in one file are one writer's business; anything else is a clash.
      if (owner && !(owner.startsWith('--store dotenv:') && d.spec.startsWith('dotenv:'))) {
        throw new UsageError(`--store ${d.spec} writes the same file as ${owner}: give each its own file`);
      }
      owners.set(resolve(file), `--store ${d.spec}`);
    }
  }
}

/**
 * A destination that holds one token (a .env variable, one Data Loader config) is bound to one
 * account: given globally, exactly one account must be configured; in accounts' own lists, only
 * one may name it. Otherwise one user's token would overwrite another's, or anyone's token email
 * (with --no-verify and no account) would.
 */
function oneAccountPerSlot(global: readonly Destination[], accounts: readonly Account[], readsAccounts: boolean): void {
  for (const d of global) {
    if (!d.holdsOne || !readsAccounts) continue;
    const using = accounts.filter((a) => !a.destinations);
    if (accounts.length === 0) throw new UsageError(`--store ${d.spec} holds one token: name the one account it is for (SFTOKEN_SF_USERNAME, or an account in the config file)`);
    if (using.length > 1)
      throw new UsageError(`--store ${d.spec} holds one token, but ${using.length} accounts would write it (${using.map((a) => a.username).join(', ')}): list it under one account's stores`);
  }
  const owners = new Map<string, string>();
  for (const a of accounts) {
    for (const d of a.destinations ?? []) {
      if (!d.holdsOne) continue;
      const owner = owners.get(d.spec);
      if (owner && owner !== a.username) throw new UsageError(`--store ${d.spec} holds one token, but both ${owner} and ${a.username} list it: give each account its own`);
      owners.set(d.spec, a.username);
    }
  }
}

/** Merges the sources, flag > env > file > default, validates every value and reads secrets. */
export async function resolveConfig({ flags, env, file, filePath = 'config file', groups = ['common', 'login'] }: ConfigSources): Promise<Config> {
  const declared = new Set<OptionKey>(groups.flatMap((g) => GROUPS[g].keys));
  // Every problem is collected and reported in one line at the end, so that a first setup with
  // several mistakes is fixed in one round, not one run per mistake.
  const problems = new Set<string>();
  const attempt = async <T>(work: () => T | Promise<T>, fallback: T): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.add(err.message);
      return fallback;
    }
  };
  const read = <K extends OptionKey>(key: K): Settings[K] => {
    const option = OPTIONS[key];
    if (!declared.has(key)) return option.default;
    const fromFlag = flags[key];
    const fromEnv = env[envName(option.flag)];
    const fromFile = file[key];
    if (fromFlag !== undefined) return option.parse(fromFlag, `--${option.flag}`);
    if (fromEnv !== undefined && fromEnv !== '') return option.parse(fromEnv, envName(option.flag));
    if (fromFile !== undefined) return option.parse(fromFile, `${filePath}: ${key}`);
    return option.default;
  };
  const get = <K extends OptionKey>(key: K): Settings[K] => {
    try {
      return read(key);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.add(err.message);
      return OPTIONS[key].default;
    }
  };
  const trust: TrustSettings = { mode: get('trust'), dkimKeys: get('dkimKeys'), authservId: get('authservId'), forwarders: await attempt(() => forwarders(file.trustedForwarders, filePath), []) };
  if (trust.mode === 'auth-results' && !trust.authservId) {
    problems.add('--trust auth-results needs --authserv-id: the name your receiving mail server writes in Authentication-Results');
  }
  const secrets = new Redactor();
  const chosenState = get('state');
  const statePath = chosenState ?? defaultStatePath(env);
  // A typo in --state must not start an empty ledger (logging in again for applied tokens,
  // forgetting refusals and the failed-login budget): its folder must exist. The default folder
  // is made on first use.
  if (chosenState !== null && declared.has('state') && !isFolder(dirname(statePath))) {
    problems.add(`--state ${statePath}: the folder ${dirname(statePath)} does not exist (a typo?); create it, or leave --state out to use ${dirname(defaultStatePath(env))}`);
  }
  const destinations = (await Promise.all(get('store').map((spec) => attempt(() => [parseDestination(spec)], [])))).flat();
  const accounts = declared.has('loginUrl') ? await attempt(() => loadAccounts(file.accounts, env, { loginUrl: get('loginUrl'), apiVersion: get('apiVersion') }, secrets, filePath), []) : [];
  const issuedAccounts = declared.has('loginUrl') ? await attempt(() => loadIssuedAccounts(file.accounts, env, secrets, filePath), []) : [];
  const clash = issuedAccounts.find((i) => accounts.some((a) => a.username === i.username));
  if (clash) problems.add(`${filePath}: ${clash.username} is both a password account and an issued one: give each user one kind`);
  await attempt(() => noSharedFiles(statePath, [...destinations, ...[...accounts, ...issuedAccounts].flatMap((a) => a.destinations ?? [])]), undefined);
  if (declared.has('store')) await attempt(() => oneAccountPerSlot(destinations, accounts, declared.has('loginUrl')), undefined);
  // A mailbox only when one is named: ingest and watch require one, check looks at any given.
  const listed = declared.has('imapHost') && file.mailboxes !== undefined ? await attempt(() => mailboxesFromFile(file.mailboxes, env, filePath, secrets), []) : [];
  const fromFlags =
    declared.has('imapHost') && get('imapHost') !== null
      ? await attempt(
          async () => [
            await mailboxFromFlags(
              {
                imapHost: get('imapHost'),
                imapPort: get('imapPort'),
                imapUser: get('imapUser'),
                imapTls: get('imapTls'),
                mailbox: get('mailbox'),
                after: get('after'),
                imapAccessTokenCommand: get('imapAccessTokenCommand'),
                since: get('since'),
              },
              { imapPassword: file.imapPassword, imapAccessToken: file.imapAccessToken },
              env,
              filePath,
              secrets,
            ),
          ],
          [],
        )
      : [];
  // The same check a run makes when it builds its notifier: check and --dry-run must not pass a
  // webhook that watch then refuses.
  const notify = get('notify');
  if (notify.length) {
    // Loaded only when there is a webhook to check: --help and deliver start without it.
    const { parseTarget } = await import('../notify/index.js');
    for (const spec of notify) await attempt(() => parseTarget(spec), undefined);
  }
  const pathEnds = await attempt(() => loginPathEnds(file.loginPathEnds, filePath), defaultPathEnds());
  const mailboxes = [...fromFlags, ...listed];
  const names = mailboxes.map((m) => m.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) problems.add(`two mailboxes are named "${twice}": give each its own name`);
  for (const key of declared) get(key);
  if (problems.size) throw new UsageError([...problems].join('; '));
  const healthPort = get('healthPort');
  // A secret, so never a flag: SFTOKEN_HEALTH_TOKEN, or a reference in the config file.
  const healthToken =
    declared.has('healthPort') && healthPort !== null
      ? await attempt(async () => {
          if (env.SFTOKEN_HEALTH_TOKEN) return resolveSecret({ env: 'SFTOKEN_HEALTH_TOKEN' }, 'SFTOKEN_HEALTH_TOKEN', env, secrets);
          return file.healthToken === undefined ? null : resolveSecret(file.healthToken, `${filePath}: healthToken`, env, secrets);
        }, null)
      : null;
  return {
    dryRun: get('dryRun'),
    verify: get('verify'),
    json: get('json'),
    logLevel: get('logLevel'),
    maxMessageBytes: get('maxMessageBytes'),
    statePath,
    trust,
    destinations,
    login: { timeoutMs: get('loginTimeout') * 1000, retries: get('loginRetries'), backoffBaseMs: get('loginBackoff') * 1000, maxFailedLogins: get('maxFailedLogins') },
    accounts,
    mailboxes,
    helperTimeoutMs: get('helperTimeout') * 1000,
    checkLogin: get('login'),
    notify: get('notify'),
    stateIsDefault: chosenState === null,
    heldPath: get('held') ?? join(dirname(statePath), 'held'),
    watch: {
      heartbeatMs: get('heartbeat') * 1000,
      health: healthPort === null ? null : { host: get('healthHost'), port: healthPort, token: healthToken },
      firstSince: parseSince(DEFAULT_LIMITS.watchFirstSince),
    },
    replicas: get('replicas') ? { replicaId: newReplicaId(), expiryMs: get('claimExpiry') * 1000 } : null,
    imap: { idleRestartMs: get('idleRestart') * 1000, commandTimeoutMs: get('imapTimeout') * 1000, maxMessageBytes: get('maxMessageBytes') },
    secrets,
    loginPathEnds: pathEnds,
    accountOutlines: accounts.length ? accounts : accountOutlines(file.accounts, env, get('apiVersion')),
    issuedAccounts,
    refreshAccount: get('account')?.toLowerCase() ?? null,
  };
}

/** The config file named by --config or SFTOKEN_CONFIG, merged with flags and env. */
export async function loadConfig(flags: ConfigSources['flags'], configPath: string | undefined, env: NodeJS.ProcessEnv, groups: readonly GroupName[]): Promise<Config> {
  const path = configPath ?? env.SFTOKEN_CONFIG;
  const file = path ? loadConfigFile(path) : {};
  return resolveConfig({ flags, env, file, groups, ...(path ? { filePath: path } : {}) });
}
