import { readFileSync } from 'node:fs';
import { UsageError, describe } from './util/errors.js';
import { defaultStatePath } from './state/ledger.js';
import { LOG_LEVELS, type LogLevel } from './util/log.js';
import { TRUST_MODES, type TrustMode } from './trust/policy.js';
import { DEFAULT_STORE, parseStoreSpec } from './stores/index.js';

// A token email is a few KiB; 2 MiB leaves room for gateway banners and forwarded copies while
// keeping mailparser (which holds the whole message in memory) away from hostile sizes.
export const DEFAULT_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

// Pinned rather than jsforce's default (50.0); 64.0 is the last version with SOAP login().
export const DEFAULT_API_VERSION = '64.0';

/** Everything a command needs to know, validated once: the rest of the code trusts it. */
export interface Config {
  dryRun: boolean;
  verify: boolean;
  json: boolean;
  store: string;
  state: string;
  trust: TrustMode;
  logLevel: LogLevel;
  maxMessageBytes: number;
  loginUrl: string;
  apiVersion: string;
  loginTimeout: number;
  loginRetries: number;
  loginBackoff: number;
  maxFailedLogins: number;
  dkimKeys: string | null;
  authservId: string | null;
  /** The config file's accounts list as written; accounts.ts validates it and reads its secrets. */
  accounts: unknown;
  /** Addresses whose hand-forwarded token emails may be trusted (config file only). */
  trustedForwarders: string[];
  imapHost: string | null;
  imapPort: number | null;
  imapUser: string | null;
  imapTls: boolean;
  mailbox: string;
  after: string;
  imapAccessTokenCommand: string | null;
  since: string | null;
  heartbeat: number;
  idleRestart: number;
  healthPort: number | null;
  healthHost: string;
  /** Secret references from the config file; SFTOKEN_IMAP_PASSWORD / _ACCESS_TOKEN win. */
  imapPassword: unknown;
  imapAccessToken: unknown;
}

const FILE_ONLY = ['accounts', 'trustedForwarders', 'imapPassword', 'imapAccessToken'] as const;
type OptionKey = Exclude<keyof Config, (typeof FILE_ONLY)[number]>;

export interface OptionSpec {
  key: OptionKey;
  flag: string;
  type: 'boolean' | 'string' | 'number';
  /** For numbers: whole numbers only, zero allowed. */
  integer?: boolean;
  describe: string;
  choices?: readonly string[];
  /** Shown in --help; the value itself comes from defaults() so that it can depend on the env. */
  defaultDescription: string;
}

/** The options every command shares. Each also reads SFTOKEN_<FLAG> and the config file's key. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { key: 'store', flag: 'store', type: 'string', describe: 'where tokens go: keychain[:<service>] or file:<path>', defaultDescription: DEFAULT_STORE },
  { key: 'state', flag: 'state', type: 'string', describe: 'state file (ledger of applied and refused tokens, as fingerprints)', defaultDescription: '$XDG_STATE_HOME/sftoken/state.json' },
  { key: 'trust', flag: 'trust', type: 'string', choices: TRUST_MODES, describe: 'how an email proves it came from Salesforce', defaultDescription: 'dkim' },
  { key: 'dkimKeys', flag: 'dkim-keys', type: 'string', describe: 'DKIM public keys to use before DNS, one "<selector>._domainkey.<domain> <TXT>" per line', defaultDescription: 'DNS only' },
  { key: 'authservId', flag: 'authserv-id', type: 'string', describe: 'with --trust auth-results: the receiving server whose Authentication-Results count', defaultDescription: 'none' },
  { key: 'dryRun', flag: 'dry-run', type: 'boolean', describe: 'check everything, log in nowhere, write nothing', defaultDescription: 'false' },
  { key: 'verify', flag: 'verify', type: 'boolean', describe: 'test-login with each token before storing it (--no-verify to skip)', defaultDescription: 'true' },
  { key: 'json', flag: 'json', type: 'boolean', describe: 'print one JSON object per message on stdout (NDJSON)', defaultDescription: 'false' },
  { key: 'logLevel', flag: 'log-level', type: 'string', choices: LOG_LEVELS, describe: 'how much to log on stderr', defaultDescription: 'info' },
  { key: 'maxMessageBytes', flag: 'max-message-bytes', type: 'number', describe: 'larger messages are rejected unread', defaultDescription: String(DEFAULT_MAX_MESSAGE_BYTES) },
];

/** How the test login reaches Salesforce and how it guards the user against lockout. */
export const VERIFY_OPTIONS: readonly OptionSpec[] = [
  { key: 'loginUrl', flag: 'login-url', type: 'string', describe: 'Salesforce login URL (sandboxes: https://test.salesforce.com or the My Domain URL)', defaultDescription: 'https://login.salesforce.com' },
  { key: 'apiVersion', flag: 'api-version', type: 'string', describe: 'API version of the test login', defaultDescription: DEFAULT_API_VERSION },
  { key: 'loginTimeout', flag: 'login-timeout', type: 'number', describe: 'seconds to wait for a login answer', defaultDescription: '30' },
  { key: 'loginRetries', flag: 'login-retries', type: 'number', integer: true, describe: 'retries within a run after a transient failure', defaultDescription: '2' },
  { key: 'loginBackoff', flag: 'login-backoff', type: 'number', describe: 'seconds before the first retry; doubles each time, with jitter', defaultDescription: '2' },
  { key: 'maxFailedLogins', flag: 'max-failed-logins', type: 'number', integer: true, describe: 'failed test logins per user per hour before waiting (Salesforce locks at 10 by default)', defaultDescription: '3' },
];

/** The mailbox, for ingest and watch. Passwords and tokens come from the env or the config file. */
export const IMAP_OPTIONS: readonly OptionSpec[] = [
  { key: 'imapHost', flag: 'imap-host', type: 'string', describe: 'IMAP server', defaultDescription: 'none' },
  { key: 'imapPort', flag: 'imap-port', type: 'number', integer: true, describe: 'IMAP port', defaultDescription: '993 (143 without TLS)' },
  { key: 'imapUser', flag: 'imap-user', type: 'string', describe: 'IMAP login (password from SFTOKEN_IMAP_PASSWORD)', defaultDescription: 'none' },
  { key: 'imapTls', flag: 'imap-tls', type: 'boolean', describe: 'TLS with certificate checks; false only for a loopback server', defaultDescription: 'true' },
  { key: 'mailbox', flag: 'mailbox', type: 'string', describe: 'the folder the token emails arrive in', defaultDescription: 'INBOX' },
  { key: 'after', flag: 'after', type: 'string', describe: 'what to do with a handled token email: flag, seen, move:<folder>, delete', defaultDescription: 'flag' },
  { key: 'imapAccessTokenCommand', flag: 'imap-access-token-command', type: 'string', describe: 'command printing a fresh OAuth 2.0 access token (XOAUTH2), run at every connect', defaultDescription: 'none' },
  { key: 'since', flag: 'since', type: 'string', describe: 'how far back to look: ISO date, or 30m / 36h / 7d', defaultDescription: 'ingest: required; watch: 7d on a first start' },
  { key: 'heartbeat', flag: 'heartbeat', type: 'number', describe: 'watch: seconds between heartbeat lines and IMAP round trips', defaultDescription: '60' },
  { key: 'idleRestart', flag: 'idle-restart', type: 'number', describe: 'watch: seconds after which IDLE is renewed', defaultDescription: '240' },
  { key: 'healthPort', flag: 'health-port', type: 'number', integer: true, describe: 'watch: serve /healthz and /metrics on this port', defaultDescription: 'off' },
  { key: 'healthHost', flag: 'health-host', type: 'string', describe: 'watch: address for the health server (0.0.0.0 in a container)', defaultDescription: '127.0.0.1' },
];

export const ALL_OPTIONS: readonly OptionSpec[] = [...COMMON_OPTIONS, ...VERIFY_OPTIONS, ...IMAP_OPTIONS];

const FILE_ONLY_KEYS = new Set<string>(FILE_ONLY);

export function envName(flag: string): string {
  return `SFTOKEN_${flag.replace(/-/g, '_').toUpperCase()}`;
}

function defaults(env: NodeJS.ProcessEnv): Config {
  return {
    dryRun: false,
    verify: true,
    json: false,
    store: DEFAULT_STORE,
    state: defaultStatePath(env),
    trust: 'dkim',
    logLevel: 'info',
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    loginUrl: 'https://login.salesforce.com',
    apiVersion: DEFAULT_API_VERSION,
    loginTimeout: 30,
    loginRetries: 2,
    loginBackoff: 2,
    // Salesforce's default lockout is 10 failed logins; 3 leaves room for the integrations
    // themselves and for a person who is trying at the same moment.
    maxFailedLogins: 3,
    dkimKeys: null,
    authservId: null,
    accounts: undefined,
    trustedForwarders: [],
    imapHost: null,
    imapPort: null,
    imapUser: null,
    imapTls: true,
    mailbox: 'INBOX',
    after: 'flag',
    imapAccessTokenCommand: null,
    since: null,
    heartbeat: 60,
    idleRestart: 240,
    healthPort: null,
    healthHost: '127.0.0.1',
    imapPassword: undefined,
    imapAccessToken: undefined,
  };
}

export type ConfigFile = Record<string, unknown>;

/** Reads the JSON config file; any problem is one line naming the file. */
export function loadConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? describe(err)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${describe(err)}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`config file ${path} must hold a JSON object`);
  const known = new Set<string>([...ALL_OPTIONS.map((o) => o.key), ...FILE_ONLY_KEYS]);
  for (const key of Object.keys(data)) {
    if (!known.has(key)) throw new UsageError(`config file ${path}: unknown key "${key}"`);
  }
  return data as ConfigFile;
}

function coerce(spec: OptionSpec, value: unknown, origin: string): string | boolean | number {
  if (spec.type === 'boolean') {
    if (typeof value === 'boolean') return value;
    const s = String(value).toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    throw new UsageError(`${origin}: expected true or false, got "${String(value)}"`);
  }
  if (spec.type === 'number') {
    const n = typeof value === 'number' ? value : Number(String(value));
    if (spec.integer) {
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`${origin}: expected a whole number, got "${String(value)}"`);
    } else if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${origin}: expected a positive number, got "${String(value)}"`);
    return n;
  }
  if (typeof value !== 'string' || value === '') throw new UsageError(`${origin}: expected a non-empty string`);
  if (spec.choices && !spec.choices.includes(value)) throw new UsageError(`${origin}: "${value}" is not one of ${spec.choices.join(', ')}`);
  return value;
}

function forwarders(value: unknown, filePath: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && /^[^\s@]+@[^\s@]+$/.test(v))) {
    throw new UsageError(`${filePath}: trustedForwarders must be a list of email addresses`);
  }
  return value.map((v: string) => v.toLowerCase());
}

export interface ConfigSources {
  /** Values given as flags; undefined where the flag was not given. */
  flags: Partial<Record<OptionKey, unknown>>;
  env: NodeJS.ProcessEnv;
  file: ConfigFile;
  filePath?: string;
}

/** Merges the sources, flag > env > file > default, and validates every value. */
export function resolveConfig({ flags, env, file, filePath = 'config file' }: ConfigSources): Config {
  const config = defaults(env) as unknown as Record<keyof Config, unknown>;
  for (const spec of ALL_OPTIONS) {
    const fromFlag = flags[spec.key];
    const fromEnv = env[envName(spec.flag)];
    const fromFile = file[spec.key];
    if (fromFlag !== undefined) config[spec.key] = coerce(spec, fromFlag, `--${spec.flag}`);
    else if (fromEnv !== undefined && fromEnv !== '') config[spec.key] = coerce(spec, fromEnv, envName(spec.flag));
    else if (fromFile !== undefined) config[spec.key] = coerce(spec, fromFile, `${filePath}: ${spec.key}`);
  }
  config.accounts = file.accounts;
  config.imapPassword = file.imapPassword;
  config.imapAccessToken = file.imapAccessToken;
  config.trustedForwarders = forwarders(file.trustedForwarders, filePath);
  const result = config as unknown as Config;
  parseStoreSpec(result.store);
  if (result.trust === 'auth-results' && !result.authservId) {
    throw new UsageError('--trust auth-results needs --authserv-id: the name your receiving mail server writes in Authentication-Results');
  }
  return result;
}
