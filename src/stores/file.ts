import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../state/atomic-file.js';
import { TransientError, UsageError, describe } from '../util/errors.js';
import type { SecretStore, TokenMetadata } from './types.js';

interface FileEntry extends TokenMetadata {
  token: string;
  storedAt: string;
}

type FileContent = Record<string, FileEntry>;

/**
 * A JSON file keyed by username, for containers and hosts without a keychain: mode 0600,
 * replaced atomically so that a reader never sees half a file.
 */
export class FileStore implements SecretStore {
  readonly description: string;

  constructor(private readonly path: string) {
    this.description = `file:${path}`;
  }

  private async read(): Promise<FileContent> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new TransientError(`cannot read token file ${this.path}: ${(err as NodeJS.ErrnoException).code ?? describe(err)}`);
    }
    try {
      const content = JSON.parse(text) as unknown;
      if (content === null || typeof content !== 'object' || Array.isArray(content)) throw new Error('not an object');
      return content as FileContent;
    } catch {
      // Never overwrite what we cannot read: it may hold other users' tokens.
      throw new UsageError(`token file ${this.path} is not a JSON object; fix or move it`);
    }
  }

  async get(username: string): Promise<string | null> {
    return (await this.read())[username]?.token ?? null;
  }

  async set(username: string, token: string, meta: TokenMetadata): Promise<void> {
    const content = await this.read();
    content[username] = { token, fingerprint: meta.fingerprint, emailDate: meta.emailDate, storedAt: new Date().toISOString() };
    try {
      await writeFileAtomic(this.path, JSON.stringify(content, null, 2) + '\n');
    } catch (err) {
      throw new TransientError(`cannot write token file ${this.path}: ${(err as NodeJS.ErrnoException).code ?? describe(err)}`);
    }
  }
}
