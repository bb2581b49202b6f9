import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ledgerJournal } from '../../src/state/journal.js';
import { Ledger } from '../../src/state/ledger.js';
import { silentLogger } from '../../src/util/log.js';
import { Redactor } from '../../src/util/redact.js';
import { senderPolicy } from '../../src/trust/policy.js';
import type { PipelineDeps, RawMessage } from '../../src/pipeline/types.js';
import type { SecretStore, TokenMetadata } from '../../src/stores/index.js';
import { fixturePath } from './fixtures.js';
import { tempDir } from './tmp.js';

/** A SecretStore in memory that counts writes and can be told to fail. */
export class MemoryStore implements SecretStore {
  readonly description = 'memory';
  readonly entries = new Map<string, { token: string; meta: TokenMetadata }>();
  writes = 0;
  failWith: Error | null = null;

  async get(username: string): Promise<string | null> {
    return this.entries.get(username)?.token ?? null;
  }

  async set(username: string, token: string, meta: TokenMetadata): Promise<void> {
    this.writes++;
    if (this.failWith) throw this.failWith;
    this.entries.set(username, { token, meta });
  }
}

export function bytesMessage(raw: Buffer | string, source = 'mem', sequence = 0): RawMessage {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  return { source, receivedAt: null, sequence, size: bytes.length, load: async () => bytes };
}

export async function fixtureMessage(file: string, sequence = 0): Promise<RawMessage> {
  return bytesMessage(await readFile(fixturePath(file)), basename(file), sequence);
}

/** Pipeline dependencies around a real ledger in a temp folder and a store in memory. */
export async function memoryDeps(overrides: Partial<Omit<PipelineDeps, 'destinations' | 'ledger'>> = {}): Promise<PipelineDeps & { store: MemoryStore; ledger: Ledger }> {
  const ledger = await Ledger.open(join(await tempDir(), 'state.json'));
  const store = new MemoryStore();
  return {
    trust: senderPolicy,
    trustFingerprint: 'sender',
    verifier: null,
    knownUser: null,
    maxMessageBytes: 2 * 1024 * 1024,
    messageBudgetMs: 5000,
    log: silentLogger,
    secrets: new Redactor(),
    checkpoint: () => ledger.save(),
    journal: ledgerJournal(ledger, () => ledger.save()),
    ...overrides,
    ledger,
    store,
    destinations: () => [{ spec: 'memory', store }],
  };
}
