import { UsageError } from '../util/errors.js';
import { isLoopback } from '../util/loopback.js';
import { parseSince } from '../util/since.js';
import { OPTIONS, type Settings } from './options.js';
import type { Redactor } from '../util/redact.js';
import { unknownKey } from './file.js';
import { resolveSecret } from './secrets.js';

/** What happens to a token email once its token is safe (DESIGN §2, Settling). */
export type AfterMode = { kind: 'flag' } | { kind: 'seen' } | { kind: 'move'; folder: string } | { kind: 'delete' };

export function parseAfter(value: string): AfterMode {
  if (value === 'flag' || value === 'seen' || value === 'delete') return { kind: value };
  if (value.startsWith('move:') && value.length > 'move:'.length) return { kind: 'move', folder: value.slice('move:'.length) };
  throw new UsageError(`--after "${value}": use flag, seen, move:<folder> or delete`);
}

/** How sftoken logs in to a mailbox: secrets are read when the configuration is. */
export type ImapCredentials =
  | { kind: 'password'; password: string }
  | { kind: 'access-token'; accessToken: string }
  /** Run at every connect for a fresh OAuth 2.0 access token (Gmail, Microsoft 365). */
  | { kind: 'token-command'; command: string };

/** One mailbox to search or watch, fully checked. */
export interface Mailbox {
  /** Its label in output (`imap:<name>/…`), logs and metrics. */
  name: string;
  host: string;
  port: number;
  user: string;
  tls: boolean;
  /** The IMAP folder the token emails arrive in. */
  folder: string;
  after: AfterMode;
  credentials: ImapCredentials;
  /** How far back the first look goes; null leaves it to the command (ingest requires one). */
  since: Date | null;
}

/** The ledger's key for a mailbox: the same folder on another account or server is another. */
export function mailboxKey(m: Pick<Mailbox, 'user' | 'host' | 'port' | 'folder'>): string {
  return `${m.user}@${m.host}:${m.port}/${m.folder}`;
}

type MailboxFlags = Pick<Settings, 'imapHost' | 'imapPort' | 'imapUser' | 'imapTls' | 'mailbox' | 'after' | 'imapAccessTokenCommand' | 'since'>;

interface SecretRefs {
  imapPassword: unknown;
  imapAccessToken: unknown;
}

async function credentials(origin: string, command: string | null, refs: SecretRefs, env: NodeJS.ProcessEnv, envSecrets: boolean, secrets: Redactor): Promise<ImapCredentials> {
  if (command) return { kind: 'token-command', command };
  const fromEnvOrFile = async (envName: string, ref: unknown, what: string): Promise<string | null> => {
    // SFTOKEN_IMAP_* belong to the mailbox the flags describe; a listed mailbox names its own.
    if (envSecrets && env[envName]) return resolveSecret({ env: envName }, envName, env, secrets);
    return ref === undefined ? null : resolveSecret(ref, `${origin}: ${what}`, env, secrets);
  };
  const accessToken = await fromEnvOrFile('SFTOKEN_IMAP_ACCESS_TOKEN', refs.imapAccessToken, 'imapAccessToken');
  if (accessToken) return { kind: 'access-token', accessToken };
  const password = await fromEnvOrFile('SFTOKEN_IMAP_PASSWORD', refs.imapPassword, 'imapPassword');
  if (password) return { kind: 'password', password };
  throw new UsageError(
    envSecrets
      ? 'no IMAP credentials: set SFTOKEN_IMAP_PASSWORD, SFTOKEN_IMAP_ACCESS_TOKEN or --imap-access-token-command'
      : `${origin}: give imapPassword, imapAccessToken (secret references) or imapAccessTokenCommand`,
  );
}

/** The one mailbox that flags and the environment describe. */
export function mailboxFromFlags(flags: MailboxFlags, refs: SecretRefs, env: NodeJS.ProcessEnv, origin: string, secrets: Redactor): Promise<Mailbox> {
  return buildMailbox(flags, refs, env, origin, flags.mailbox, true, secrets);
}

// The keys a `mailboxes` entry may have: the mailbox options, by their config file names.
const MAILBOX_KEYS = ['name', 'imapHost', 'imapPort', 'imapUser', 'imapTls', 'mailbox', 'after', 'imapAccessTokenCommand', 'since', 'imapPassword', 'imapAccessToken'] as const;

/**
 * The config file's `mailboxes` list: each entry the mailbox options under their config file
 * names, with its own secret references, and a name that is unique (its label in output, logs,
 * the state file and metrics).
 */
export async function mailboxesFromFile(list: unknown, env: NodeJS.ProcessEnv, filePath: string, secrets: Redactor): Promise<Mailbox[]> {
  if (!Array.isArray(list)) throw new UsageError(`${filePath}: mailboxes must be a list`);
  const out: Mailbox[] = [];
  const entries: unknown[] = list;
  for (const [i, raw] of entries.entries()) {
    const origin = `${filePath}: mailboxes[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${origin} must be an object`);
    const entry: Record<string, unknown> = { ...raw };
    for (const key of Object.keys(entry)) if (!MAILBOX_KEYS.some((k) => k === key)) throw unknownKey(origin, key, MAILBOX_KEYS);
    const value = <K extends keyof MailboxFlags>(key: K): MailboxFlags[K] => (entry[key] === undefined ? OPTIONS[key].default : OPTIONS[key].parse(entry[key], `${origin}.${key}`));
    const flags: MailboxFlags = {
      imapHost: value('imapHost'),
      imapPort: value('imapPort'),
      imapUser: value('imapUser'),
      imapTls: value('imapTls'),
      mailbox: value('mailbox'),
      after: value('after'),
      imapAccessTokenCommand: value('imapAccessTokenCommand'),
      since: value('since'),
    };
    const name = typeof entry.name === 'string' && entry.name !== '' ? entry.name : `${flags.imapUser ?? '?'}@${flags.imapHost ?? '?'}/${flags.mailbox}`;
    if (out.some((m) => m.name === name)) throw new UsageError(`${origin}: the name "${name}" is used twice`);
    out.push(await buildMailbox(flags, { imapPassword: entry.imapPassword, imapAccessToken: entry.imapAccessToken }, env, origin, name, false, secrets));
  }
  return out;
}

async function buildMailbox(flags: MailboxFlags, refs: SecretRefs, env: NodeJS.ProcessEnv, origin: string, name: string, envSecrets: boolean, secrets: Redactor): Promise<Mailbox> {
  const where = envSecrets ? '' : `${origin}: `;
  if (!flags.imapHost) throw new UsageError(`${where}${envSecrets ? '--imap-host is required (or SFTOKEN_IMAP_HOST)' : 'imapHost is required'}`);
  if (!flags.imapUser) throw new UsageError(`${where}${envSecrets ? '--imap-user is required (or SFTOKEN_IMAP_USER)' : 'imapUser is required'}`);
  if (!flags.imapTls && !isLoopback(flags.imapHost)) {
    throw new UsageError(`refusing to send IMAP credentials unencrypted to ${flags.imapHost}: --imap-tls false is for a loopback server only`);
  }
  const after = parseAfter(flags.after);
  return {
    name,
    host: flags.imapHost,
    port: flags.imapPort ?? (flags.imapTls ? 993 : 143),
    user: flags.imapUser,
    tls: flags.imapTls,
    folder: flags.mailbox,
    after,
    credentials: await credentials(origin, flags.imapAccessTokenCommand, refs, env, envSecrets, secrets),
    since: flags.since ? parseSince(flags.since) : null,
  };
}
