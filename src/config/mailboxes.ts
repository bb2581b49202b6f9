import { UsageError } from '../util/errors.js';
import { isLoopback } from '../util/loopback.js';
import { parseSince } from '../util/since.js';
import type { Settings } from './options.js';
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

async function credentials(origin: string, command: string | null, refs: SecretRefs, env: NodeJS.ProcessEnv): Promise<ImapCredentials> {
  if (command) return { kind: 'token-command', command };
  const fromEnvOrFile = async (envName: string, ref: unknown, what: string): Promise<string | null> => {
    if (env[envName]) return resolveSecret({ env: envName }, envName, env);
    return ref === undefined ? null : resolveSecret(ref, `${origin}: ${what}`, env);
  };
  const accessToken = await fromEnvOrFile('SFTOKEN_IMAP_ACCESS_TOKEN', refs.imapAccessToken, 'imapAccessToken');
  if (accessToken) return { kind: 'access-token', accessToken };
  const password = await fromEnvOrFile('SFTOKEN_IMAP_PASSWORD', refs.imapPassword, 'imapPassword');
  if (password) return { kind: 'password', password };
  throw new UsageError('no IMAP credentials: set SFTOKEN_IMAP_PASSWORD, SFTOKEN_IMAP_ACCESS_TOKEN or --imap-access-token-command');
}

/** The one mailbox that flags and the environment describe. */
export async function mailboxFromFlags(flags: MailboxFlags, refs: SecretRefs, env: NodeJS.ProcessEnv, origin: string): Promise<Mailbox> {
  if (!flags.imapHost) throw new UsageError('--imap-host is required (or SFTOKEN_IMAP_HOST)');
  if (!flags.imapUser) throw new UsageError('--imap-user is required (or SFTOKEN_IMAP_USER)');
  if (!flags.imapTls && !isLoopback(flags.imapHost)) {
    throw new UsageError(`refusing to send IMAP credentials unencrypted to ${flags.imapHost}: --imap-tls false is for a loopback server only`);
  }
  const after = parseAfter(flags.after);
  return {
    name: flags.mailbox,
    host: flags.imapHost,
    port: flags.imapPort ?? (flags.imapTls ? 993 : 143),
    user: flags.imapUser,
    tls: flags.imapTls,
    folder: flags.mailbox,
    after,
    credentials: await credentials(origin, flags.imapAccessTokenCommand, refs, env),
    since: flags.since ? parseSince(flags.since) : null,
  };
}
