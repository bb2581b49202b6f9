import { STORE_USAGE, DEFAULT_STORE } from '../stores/index.js';
import { TRUST_MODES, type TrustMode } from '../trust/index.js';
import { UsageError } from '../util/errors.js';
import { LOG_LEVELS, type LogLevel } from '../util/log.js';
import { DEFAULT_LIMITS } from './limits.js';

/** Every option's value after resolution: what a command reads through Config. */
export interface Settings {
  store: string[];
  state: string | null;
  held: string | null;
  trust: TrustMode;
  dkimKeys: string | null;
  authservId: string | null;
  dryRun: boolean;
  verify: boolean;
  json: boolean;
  logLevel: LogLevel;
  maxMessageBytes: number;
  helperTimeout: number;
  loginUrl: string;
  apiVersion: string;
  loginTimeout: number;
  loginRetries: number;
  loginBackoff: number;
  maxFailedLogins: number;
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
  imapTimeout: number;
  replicas: boolean;
  claimExpiry: number;
  healthPort: number | null;
  healthHost: string;
  login: boolean;
  notify: string[];
  account: string | null;
}

export type OptionKey = keyof Settings;

/** One option: its flag, its help, its default (written once; help shows it), and its check. */
interface Option<T> {
  flag: string;
  type: 'boolean' | 'string' | 'number';
  describe: string;
  default: T;
  /** Help's word for the default, where the value alone would not say it (null, or env-dependent). */
  shown?: string;
  choices?: readonly string[];
  /** Repeatable: each use adds one value. */
  array?: boolean;
  /** Turns a flag, env or file value into the typed value, or says in one line what is wrong. */
  parse(value: unknown, origin: string): T;
}

function parseBoolean(value: unknown, origin: string): boolean {
  if (typeof value === 'boolean') return value;
  const s = String(value).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new UsageError(`${origin}: expected true or false, got "${String(value)}"`);
}

function parseText(value: unknown, origin: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${origin}: expected a non-empty string`);
  return value;
}

function parseNumber(value: unknown, origin: string, integer: boolean): number {
  const n = typeof value === 'number' ? value : Number(String(value));
  if (integer) {
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${origin}: expected a whole number, got "${String(value)}"`);
  } else if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${origin}: expected a positive number, got "${String(value)}"`);
  return n;
}

// A list from a repeated flag, a config file list, or one environment value (a JSON list when it
// starts with "[", since a destination spec may itself hold spaces and commas).
function parseList(value: unknown, origin: string): string[] {
  let items: unknown = value;
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      items = JSON.parse(value);
    } catch {
      throw new UsageError(`${origin}: not a JSON list`);
    }
  }
  const list = Array.isArray(items) ? items : [items];
  if (list.length === 0) throw new UsageError(`${origin}: give at least one`);
  return list.map((item, i) => parseText(item, list.length > 1 ? `${origin}[${i}]` : origin));
}

const bool = (flag: string, describe: string, value: boolean): Option<boolean> => ({ flag, type: 'boolean', describe, default: value, parse: parseBoolean });
const text = (flag: string, describe: string, value: string): Option<string> => ({ flag, type: 'string', describe, default: value, parse: parseText });
const maybeText = (flag: string, describe: string, shown: string): Option<string | null> => ({ flag, type: 'string', describe, default: null, shown, parse: parseText });
const number = (flag: string, describe: string, value: number): Option<number> => ({ flag, type: 'number', describe, default: value, parse: (v, o) => parseNumber(v, o, false) });
const whole = (flag: string, describe: string, value: number): Option<number> => ({ flag, type: 'number', describe, default: value, parse: (v, o) => parseNumber(v, o, true) });
const maybeWhole = (flag: string, describe: string, shown: string): Option<number | null> => ({ flag, type: 'number', describe, default: null, shown, parse: (v, o) => parseNumber(v, o, true) });
function choice<T extends string>(flag: string, describe: string, choices: readonly T[], value: T): Option<T> {
  return {
    flag,
    type: 'string',
    describe,
    default: value,
    choices,
    parse: (v, origin) => {
      const s = parseText(v, origin);
      const found = choices.find((c) => c === s);
      if (found === undefined) throw new UsageError(`${origin}: "${s}" is not one of ${choices.join(', ')}`);
      return found;
    },
  };
}

const L = DEFAULT_LIMITS;

/** Every option of every command. Each also reads SFTOKEN_<FLAG> and the config file's key. */
export const OPTIONS: { readonly [K in OptionKey]: Option<Settings[K]> } = {
  account: maybeText('account', 'refresh only this issued account (its username)', 'every jwt and client-credentials account'),
  store: { flag: 'store', type: 'string', array: true, describe: `where tokens go (repeat for several): ${STORE_USAGE}`, default: [DEFAULT_STORE], parse: parseList },
  state: maybeText('state', 'state file (ledger of applied and refused tokens, as fingerprints)', '$XDG_STATE_HOME/sftoken/state.json'),
  held: maybeText('held', 'Maildir where deliver keeps the token emails it refused, for a person and for replay after a fix', '<state folder>/held'),
  trust: choice('trust', 'how an email proves it came from Salesforce', TRUST_MODES, 'dkim'),
  dkimKeys: maybeText('dkim-keys', 'DKIM public keys to use before DNS, one "<selector>._domainkey.<domain> <TXT>" per line', 'DNS only'),
  authservId: maybeText('authserv-id', 'with --trust auth-results: the receiving server whose Authentication-Results count', 'none'),
  dryRun: bool('dry-run', 'check everything, log in nowhere, write nothing', false),
  verify: bool('verify', 'test-login with each token before storing it (--no-verify to skip)', true),
  json: bool('json', 'print one JSON object per message on stdout (NDJSON)', false),
  logLevel: choice('log-level', 'how much to log on stderr', LOG_LEVELS, 'info'),
  maxMessageBytes: whole('max-message-bytes', 'larger messages are rejected unread', L.maxMessageBytes),
  helperTimeout: number('helper-timeout', 'seconds an exec: or pass: destination may take', L.helperTimeoutSeconds),
  loginUrl: text('login-url', 'Salesforce login URL (sandboxes: https://test.salesforce.com or the My Domain URL)', 'https://login.salesforce.com'),
  apiVersion: text('api-version', 'API version of the test login', L.apiVersion),
  loginTimeout: number('login-timeout', 'seconds to wait for a login answer', L.loginTimeoutSeconds),
  loginRetries: whole('login-retries', 'retries within a run after a transient failure', L.loginRetries),
  loginBackoff: number('login-backoff', 'seconds before the first retry; doubles each time, with jitter', L.loginBackoffSeconds),
  maxFailedLogins: whole('max-failed-logins', 'failed test logins per user per hour before waiting (Salesforce locks at 10 by default)', L.maxFailedLoginsPerHour),
  imapHost: maybeText('imap-host', 'IMAP server', 'none'),
  imapPort: maybeWhole('imap-port', 'IMAP port', '993 (143 without TLS)'),
  imapUser: maybeText('imap-user', 'IMAP login (password from SFTOKEN_IMAP_PASSWORD)', 'none'),
  imapTls: bool('imap-tls', 'TLS with certificate checks; false only for a loopback server', true),
  mailbox: text('mailbox', 'the folder the token emails arrive in', 'INBOX'),
  after: text('after', 'what to do with a handled token email: flag, seen, move:<folder>, delete', 'flag'),
  imapAccessTokenCommand: maybeText('imap-access-token-command', 'command printing a fresh OAuth 2.0 access token (XOAUTH2), run at every connect', 'none'),
  since: maybeText('since', 'how far back to look: ISO date, or 30m / 36h / 7d', `ingest: required; watch: ${L.watchFirstSince} on a first start`),
  heartbeat: number('heartbeat', 'seconds between heartbeat lines and IMAP round trips', L.heartbeatSeconds),
  idleRestart: number('idle-restart', 'seconds after which IDLE is renewed', L.idleRestartSeconds),
  replicas: bool('replicas', 'other watchers may watch the same mailboxes: claim each message on the server first (needs CONDSTORE)', false),
  claimExpiry: number('claim-expiry', 'with --replicas: seconds after which a claim left by a replica that died is taken over', L.claimExpirySeconds),
  imapTimeout: number('imap-timeout', 'seconds an IMAP command may take before the connection is dropped and made again', L.imapCommandSeconds),
  healthPort: maybeWhole('health-port', 'serve /healthz and /metrics on this port', 'off'),
  healthHost: text('health-host', 'address for the health server (0.0.0.0 in a container)', '127.0.0.1'),
  login: bool('login', 'also make one test login per account with the stored token (counts toward the failed-login budget)', false),
  notify: {
    flag: 'notify',
    type: 'string',
    array: true,
    describe: 'POST a message when a token is stored, refused or failed: a Slack or Teams (Workflows) webhook, or any URL for JSON (repeatable)',
    default: [],
    shown: 'none',
    parse: (v, o) => (Array.isArray(v) && v.length === 0 ? [] : parseList(v, o)),
  },
};

/** Options by the part of the work they shape; a command lists the groups it uses. */
export const GROUPS = {
  common: { title: 'Common options:', keys: ['store', 'state', 'trust', 'dkimKeys', 'authservId', 'dryRun', 'verify', 'json', 'logLevel', 'maxMessageBytes', 'helperTimeout'] },
  login: { title: 'Test login:', keys: ['loginUrl', 'apiVersion', 'loginTimeout', 'loginRetries', 'loginBackoff', 'maxFailedLogins'] },
  mailbox: { title: 'Mailbox:', keys: ['imapHost', 'imapPort', 'imapUser', 'imapTls', 'mailbox', 'after', 'imapAccessTokenCommand', 'since', 'imapTimeout', 'replicas', 'claimExpiry'] },
  watch: { title: 'Watch:', keys: ['heartbeat', 'idleRestart', 'healthPort', 'healthHost'] },
  report: { title: 'Options:', keys: ['state', 'held', 'json', 'apiVersion'] },
  held: { title: 'Held token emails:', keys: ['held'] },
  check: { title: 'Check:', keys: ['login'] },
  refresh: { title: 'Refresh:', keys: ['account'] },
  // What refresh shares with the commands that read mail: no trust or verification options.
  issue: { title: 'Common options:', keys: ['store', 'state', 'json', 'logLevel', 'helperTimeout'] },
  notify: { title: 'Notifications:', keys: ['notify'] },
} as const satisfies Record<string, { title: string; keys: readonly OptionKey[] }>;

export type GroupName = keyof typeof GROUPS;

export function envName(flag: string): string {
  return `SFTOKEN_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/** What --help shows as the default: the value itself, or the option's own word for it. */
export function shownDefault(option: Option<unknown>): string {
  return option.shown ?? String(option.default);
}
