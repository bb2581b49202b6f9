import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { UsageError, describe, errnoCode } from '../util/errors.js';
import type { Fingerprint } from '../util/fingerprint.js';
import type { OutcomeKind } from '../pipeline/types.js';
import { array, literal, number, object, optional, record, string, stringOrNull, ShapeError, type Check } from './shape.js';

export interface AppliedToken {
  fingerprint: Fingerprint;
  emailDate: string;
  messageId: string | null;
  storedAt: string;
}

export interface RejectedToken {
  username: string;
  reason: string;
  at: string;
  /** Which credential the token was refused with: a new password earns the token one more try. */
  credential?: Fingerprint;
}

/** A token whose test login failed for a transient reason: when it may be tried again. */
interface PendingRetry {
  attempts: number;
  nextAttemptAt: string;
  reason: string;
}

interface ProcessedMessage {
  key: string;
  outcome: OutcomeKind;
  at: string;
}

/** The state file: what was applied and refused, as fingerprints only. Never a token. */
interface LedgerData {
  version: 1;
  applied: Record<string, AppliedToken>;
  rejected: Record<Fingerprint, RejectedToken>;
  processed: ProcessedMessage[];
  /** Per username, when logins failed (or may have): the lockout guard's memory. */
  failedLogins: Record<string, string[]>;
  retries: Record<Fingerprint, PendingRetry>;
  /** Per mailbox: how far the watcher has read, valid only under that UIDVALIDITY. */
  mailboxes: Record<string, MailboxMark>;
}

interface MailboxMark {
  uidValidity: string;
  lastUid: number;
}

// The state file is rewritten on every change, so it must stay small however long the tool
// runs. Rejected fingerprints are kept far longer than any token could stay valid; processed
// message keys are an audit trail, and the last few thousand cover any catch-up window.
export const MAX_REJECTED = 1000;
export const MAX_PROCESSED = 5000;

export function defaultStatePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'sftoken', 'state.json');
}

const OUTCOMES: readonly OutcomeKind[] = ['stored', 'would-store', 'superseded', 'ignored', 'rejected', 'failed'];
const outcome: Check<OutcomeKind> = (v, path) => {
  const found = OUTCOMES.find((o) => o === v);
  if (found === undefined) throw new ShapeError(`${path}: expected an outcome`);
  return found;
};
const fingerprintString: Check<Fingerprint> = (v, path) => {
  const s = string(v, path);
  if (!s.startsWith('sha256:')) throw new ShapeError(`${path}: expected a fingerprint`);
  return `sha256:${s.slice('sha256:'.length)}`;
};
const fingerprintKeyed = <T>(check: Check<T>): Check<Record<Fingerprint, T>> => (v, path) => {
  const entries = Object.entries(record(check)(v, path));
  for (const [k] of entries) fingerprintString(k, `${path} key`);
  return Object.fromEntries(entries);
};

/** The whole layout, checked field by field: a state file is trusted only as far as it is read. */
const LEDGER: Check<LedgerData> = object<LedgerData>({
  version: literal(1),
  applied: record(object<AppliedToken>({ fingerprint: fingerprintString, emailDate: string, messageId: stringOrNull, storedAt: string })),
  rejected: fingerprintKeyed(object<RejectedToken>({ username: string, reason: string, at: string, credential: optional(fingerprintString) })),
  processed: array(object<ProcessedMessage>({ key: string, outcome, at: string })),
  failedLogins: record(array(string)),
  retries: fingerprintKeyed(object<PendingRetry>({ attempts: number, nextAttemptAt: string, reason: string })),
  mailboxes: record(object<MailboxMark>({ uidValidity: string, lastUid: number })),
});

function empty(): LedgerData {
  return { version: 1, applied: {}, rejected: {}, processed: [], failedLogins: {}, retries: {}, mailboxes: {} };
}

function keepNewest<K extends string, T>(items: Record<K, T>, max: number, at: (v: T) => string): Record<K, T> {
  const entries = Object.entries<T>(items);
  if (entries.length <= max) return items;
  const kept = new Set(entries.sort((a, b) => at(b[1]).localeCompare(at(a[1]))).slice(0, max).map(([k]) => k));
  for (const key of Object.keys(items)) if (!kept.has(key)) delete items[key as K]; // a key of items is a K
  return items;
}

export class Ledger {
  private constructor(
    readonly path: string,
    private data: LedgerData,
  ) {}

  static async open(path: string): Promise<Ledger> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return new Ledger(path, empty());
      throw new UsageError(`cannot read state file ${path}: ${describe(err)}`);
    }
    try {
      const data: unknown = JSON.parse(text);
      // Files from before a section existed lack it; every section but the version starts empty.
      const { version: _, ...sections } = empty();
      return new Ledger(path, LEDGER(data !== null && typeof data === 'object' ? { ...sections, ...data } : data, ''));
    } catch (err) {
      throw new UsageError(`state file ${path} is not an sftoken state file (${describe(err)}); move it aside to start afresh`);
    }
  }

  applied(username: string): AppliedToken | undefined {
    return this.data.applied[username];
  }

  rejection(fp: Fingerprint): RejectedToken | undefined {
    return this.data.rejected[fp];
  }

  recordApplied(username: string, entry: AppliedToken): void {
    this.data.applied[username] = entry;
  }

  recordRejected(fp: Fingerprint, entry: RejectedToken): void {
    this.data.rejected[fp] = entry;
    keepNewest(this.data.rejected, MAX_REJECTED, (r) => r.at);
  }

  recordProcessed(entry: ProcessedMessage): void {
    this.data.processed.push(entry);
    if (this.data.processed.length > MAX_PROCESSED) this.data.processed.splice(0, this.data.processed.length - MAX_PROCESSED);
  }

  failedLogins(username: string): readonly string[] {
    return this.data.failedLogins[username] ?? [];
  }

  /** Keeps only the failures still inside `keep` (the guard's window), so the list stays short. */
  recordFailedLogin(username: string, at: string, keep: (times: readonly string[]) => string[]): void {
    this.data.failedLogins[username] = keep([...this.failedLogins(username), at]);
  }

  pendingRetry(fp: Fingerprint): PendingRetry | undefined {
    return this.data.retries[fp];
  }

  recordRetry(fp: Fingerprint, retry: PendingRetry | null): void {
    if (!retry) {
      delete this.data.retries[fp];
      return;
    }
    this.data.retries[fp] = retry;
    // A superseded token leaves its entry behind; the same bound as rejections keeps that small.
    keepNewest(this.data.retries, MAX_REJECTED, (r) => r.nextAttemptAt);
  }

  mailbox(key: string): MailboxMark | undefined {
    return this.data.mailboxes[key];
  }

  recordMailbox(key: string, mark: MailboxMark): void {
    this.data.mailboxes[key] = mark;
  }

  /** For tests and `status`: a copy, so that nobody changes the state behind the ledger's back. */
  snapshot(): Readonly<LedgerData> {
    return structuredClone(this.data);
  }

  async save(): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(this.data, null, 2) + '\n');
  }
}

/** What the verifier may read and write: the lockout guard's memory and pending retries. */
export type LoginLedger = Pick<Ledger, 'failedLogins' | 'recordFailedLogin' | 'pendingRetry' | 'recordRetry'>;

/** What a mailbox source may read and move: its high-water marks. */
export type MailboxMarks = Pick<Ledger, 'mailbox' | 'recordMailbox'>;
