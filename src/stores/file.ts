import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { tidy, writableFolder, writeFileAtomic } from '../files/atomic-file.js';
import { tokenFileMode } from '../files/safe-path.js';
import { withFileLock } from '../files/lock.js';
import { NewerHeld, TransientError, UsageError, describe, errnoCode, refuseOlder } from '../util/errors.js';
import type { AccessCredential, SecretStore, StoreBackend, TokenMetadata } from './types.js';

interface FileEntry extends Omit<TokenMetadata, 'orderTime'> {
  token: string;
  storedAt: string;
  /** Entries written before it existed lack it: they are overwritten by anything. */
  orderTime?: string;
}

const FILE_ENTRY_KEYS = ['token', 'fingerprint', 'emailDate', 'storedAt'] as const;

/** An access token's entry (jwt, client-credentials accounts): what jsforce, simple-salesforce or a script reads. */
interface AccessEntry {
  kind: 'access-token';
  accessToken: string;
  instanceUrl: string;
  issuedAt: string;
  expiresAt: string;
  fingerprint: string;
  storedAt: string;
}

type FileContent = Record<string, FileEntry | AccessEntry>;

function isAccessEntry(value: unknown): value is AccessEntry {
  if (value === null || typeof value !== 'object') return false;
  const e: Record<string, unknown> = { ...value };
  return e.kind === 'access-token' && ['accessToken', 'instanceUrl', 'issuedAt', 'expiresAt', 'fingerprint', 'storedAt'].every((k) => typeof e[k] === 'string');
}

function isEntry(value: unknown): value is FileEntry {
  if (value === null || typeof value !== 'object') return false;
  const e: Record<string, unknown> = { ...value };
  // Entries written before `verified` existed lack it; every other field must be there.
  return FILE_ENTRY_KEYS.every((k) => typeof e[k] === 'string') && (e.verified === undefined || typeof e.verified === 'boolean') && (e.orderTime === undefined || typeof e.orderTime === 'string');
}

function isContent(value: unknown): value is FileContent {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => isEntry(v) || isAccessEntry(v));
}

/**
 * A JSON file keyed by username, for containers and hosts without a keychain: mode 0600,
 * replaced atomically so that a reader never sees half a file.
 */
export class FileStore implements SecretStore {
  readonly description: string;

  constructor(
    private readonly path: string,
    private readonly mode = 0o600,
  ) {
    this.description = `file:${path}`;
  }

  private async read(): Promise<FileContent> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return {};
      throw new TransientError(`cannot read token file ${this.path}: ${errnoCode(err) ?? describe(err)}`);
    }
    let content: unknown;
    try {
      content = JSON.parse(text);
    } catch {
      content = null;
    }
    // Never overwrite what we cannot read: it may hold other users' tokens.
    if (!isContent(content)) throw new UsageError(`token file ${this.path} is not an sftoken token file (a JSON object of tokens by username); fix or move it`);
    return content;
  }

  async get(username: string): Promise<string | null> {
    const entry = (await this.read())[username];
    if (!entry) return null;
    return isAccessEntry(entry) ? entry.accessToken : entry.token;
  }

  /** The access token's entry, replacing the user's; never one issued before the one it holds. */
  async setAccessToken(username: string, credential: AccessCredential): Promise<void> {
    await this.update((content) => {
      const held = content[username];
      if (held && isAccessEntry(held) && held.fingerprint !== credential.fingerprint) refuseOlder(this.description, held.issuedAt, credential.issuedAt);
      content[username] = { kind: 'access-token', ...credential, storedAt: new Date().toISOString() };
    });
  }

  /** Read, change one entry, write: under the file's lock, so a concurrent writer's entry stays. */
  async set(username: string, token: string, meta: TokenMetadata): Promise<void> {
    await this.update((content) => {
      const held = content[username];
      if (held && !isAccessEntry(held) && held.fingerprint !== meta.fingerprint) refuseOlder(this.description, held.orderTime, meta.orderTime);
      content[username] = { token, fingerprint: meta.fingerprint, emailDate: meta.emailDate, orderTime: meta.orderTime, storedAt: new Date().toISOString(), verified: meta.verified };
    });
  }

  private async update(change: (content: FileContent) => void): Promise<void> {
    try {
      await withFileLock(this.path, async () => {
        const content = await this.read();
        change(content);
        // The file keeps its owner and group (an admin may have given a group read access) and
        // ends at the configured mode, 0600 unless ?mode=0640: never the looser mode it came with.
        const info = await stat(this.path).catch(() => null);
        const keep = { mode: this.mode, uid: info?.uid ?? process.getuid?.() ?? 0, gid: info?.gid ?? process.getgid?.() ?? 0 };
        await writeFileAtomic(this.path, JSON.stringify(content, null, 2) + '\n', keep);
      });
    } catch (err) {
      if (err instanceof UsageError || err instanceof TransientError || err instanceof NewerHeld) throw err;
      throw new TransientError(`cannot write token file ${this.path}: ${errnoCode(err) ?? describe(err)}`);
    }
  }
}

export const fileBackend: StoreBackend<{ path: string; mode: number }> = {
  scheme: 'file',
  usage: 'file:<path>[?mode=0640]',
  parse(rest) {
    const [path = '', query = ''] = rest.split('?', 2);
    if (!path) throw new UsageError('--store file needs a path: file:<path>');
    const mode = tokenFileMode(new URLSearchParams(query), `--store file:${path}`);
    return { path: isAbsolute(path) ? path : resolve(path), mode };
  },
  files: ({ path }) => [path],
  async open({ path, mode }, context) {
    const loose = await writableFolder(path, 'token file', mode);
    if (loose) context.warn(loose, { store: `file:${path}` });
    await tidy(path);
    const store = new FileStore(path, mode);
    // A corrupt file is found before any login is spent, not after.
    await store.get('').catch((err: unknown) => {
      if (err instanceof UsageError) throw err;
    });
    return store;
  },
};
