import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OUTCOMES, type Outcome } from '../pipeline/outcomes.js';
import { UsageError, describe, errnoCode } from '../util/errors.js';
import type { Fingerprint } from '../util/fingerprint.js';
import { writeFileAtomic } from '../files/atomic-file.js';
import { withFileLock } from '../files/lock.js';
import { safeTarget } from '../files/safe-path.js';
import { array, literal, number, object, optional, record, string, stringOrNull, ShapeError, type Check } from './shape.js';

export interface AppliedToken {
  fingerprint: Fingerprint;
  emailDate: string;
  /** Its email's order time (mail/order-time.ts); entries from before it existed order by emailDate. */
  orderTime?: string;
  messageId: string | null;
  storedAt: string;
  /** The destinations (specs) that have it: one added later still gets it, without a login. */
  destinations?: string[];
  /** Whether a test login proved it (false with --no-verify). */
  verified?: boolean;
}

export interface RejectedToken {
  username: string;
  reason: string;
  at: string;
  /** Which credential the token was refused with: a new password earns the token one more try. */
  credential?: Fingerprint;
}

/** A token whose test login failed for a transient reason: when it may be tried again. */
export interface PendingRetry {
  attempts: number;
  nextAttemptAt: string;
  reason: string;
  /** What a message reports while it waits, when that says more than retry-backoff (a closed login path). */
  waiting?: string;
  /** The login path that was closed: a changed path (another API version) is tried at once. */
  path?: string;
}

/**
 * A test login sent and not yet answered. Written before the request goes out, removed when the
 * answer is recorded: one found at start was cut off by a crash, and may have reached Salesforce.
 */
export interface InFlightLogin {
  username: string;
  startedAt: string;
  /** Logins with this token cut off in a row. */
  count: number;
  /** Already counted against the failed-login budget after the crash that cut it off. */
  counted?: boolean;
}

/** A token that passed its test login and is not yet in every destination. */
interface VerifiedToken {
  username: string;
  at: string;
}

/** A token email the trust check refused, under the trust settings of that time. */
export interface RefusedMessage {
  reason: string;
  /** Fingerprint of the trust settings: other settings look at the email again. */
  trust: string;
  at: string;
}

/** A token email deliver refused for good and keeps in the held folder, by its Maildir name. */
export interface HeldMessage {
  reason: string;
  at: string;
  username?: string;
  fingerprint?: Fingerprint;
}

interface ProcessedMessage {
  key: string;
  outcome: Outcome;
  at: string;
}

interface MailboxMark {
  uidValidity: string;
  lastUid: number;
  /** The settings (credentials, trust) the mark was read under; see the watcher. */
  settings?: string;
  /** The watcher's last successful round trip with the server: what `status` reports. */
  lastContact?: string;
  /** The mailbox's name in the configuration, for `status`. */
  name?: string;
}

/** What the last login of a user said of its login path (SOAP login(), the OAuth flow). */
export interface LoginPathAnswer {
  /** How the account logged in: `SOAP login() at API 64.0`, `OAuth username-password flow (…)`. */
  path: string;
  /** True: Salesforce took the path; false: it said the path is closed; null: it cannot be told. */
  accepted: boolean | null;
  at: string;
  code?: string;
}

/** An issued access token as the ledger knows it: never the token itself. */
export interface IssuedToken {
  fingerprint: Fingerprint;
  issuedAt: string;
  expiresAt: string;
  instanceUrl: string;
  /** The destinations that have it. */
  destinations: string[];
}

/** Per issued account (jwt, client credentials): the current token and the refresh schedule. */
export interface RefreshState {
  current?: IssuedToken;
  /** When the token endpoint was last asked: never more than once a minute. */
  lastAttemptAt?: string;
  nextAttemptAt?: string;
  /** Failed requests in a row, and why the last one failed. */
  failures: number;
  lastError?: string;
}

/** The state file: what was applied and refused, as fingerprints only. Never a token. */
interface LedgerData {
  version: 1;
  applied: Record<string, AppliedToken>;
  rejected: Record<Fingerprint, RejectedToken>;
  refused: Record<string, RefusedMessage>;
  processed: ProcessedMessage[];
  /** Per username, when logins failed (or may have): the lockout guard's memory. */
  failedLogins: Record<string, string[]>;
  retries: Record<Fingerprint, PendingRetry>;
  attempts: Record<Fingerprint, InFlightLogin>;
  verified: Record<Fingerprint, VerifiedToken>;
  /** Per token not yet in every destination: the destinations (specs) that have it. */
  delivered: Record<Fingerprint, string[]>;
  /** Per mailbox: how far the watcher has read, valid only under that UIDVALIDITY. */
  mailboxes: Record<string, MailboxMark>;
  held: Record<string, HeldMessage>;
  /** Per username: the last answer about its login path, for `status` and `check`. */
  loginPaths: Record<string, LoginPathAnswer>;
  /** Notices told once (a login path's end 30 days ahead, …): key → when it was told. */
  notices: Record<string, string>;
  /** Per issued account: its access token's fingerprint and times, and when the next is due. */
  refresh: Record<string, RefreshState>;
}

// The state file is rewritten on every change, so it must stay small however long the tool
// runs. Rejected fingerprints are kept far longer than any token could stay valid; processed
// message keys are an audit trail, and the last few thousand cover any catch-up window.
export const MAX_REJECTED = 1000;
export const MAX_PROCESSED = 5000;
// Every section is capped, so a real state file stays far below this; reading a larger one would
// cost every run (every deliver) seconds and gigabytes.
const MAX_STATE_BYTES = 16 * 1024 * 1024;

const outcome: Check<Outcome> = (v, path) => {
  const found = OUTCOMES.find((o) => o === v);
  if (found === undefined) throw new ShapeError(`${path}: expected an outcome`);
  return found;
};
const fingerprintString: Check<Fingerprint> = (v, path) => {
  const s = string(v, path);
  if (!s.startsWith('sha256:')) throw new ShapeError(`${path}: expected a fingerprint`);
  return `sha256:${s.slice('sha256:'.length)}`;
};
const fingerprintKeyed =
  <T>(check: Check<T>): Check<Record<Fingerprint, T>> =>
  (v, path) => {
    const entries = Object.entries(record(check)(v, path));
    for (const [k] of entries) fingerprintString(k, `${path} key`);
    return Object.fromEntries(entries);
  };
const boolean: Check<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw new ShapeError(`${path}: expected true or false`);
  return v;
};
const booleanOrNull: Check<boolean | null> = (v, path) => (v === null ? null : boolean(v, path));

/** The whole layout, checked field by field: a state file is trusted only as far as it is read. */
const LEDGER: Check<LedgerData> = object<LedgerData>({
  version: literal(1),
  applied: record(
    object<AppliedToken>({
      fingerprint: fingerprintString,
      emailDate: string,
      orderTime: optional(string),
      messageId: stringOrNull,
      storedAt: string,
      destinations: optional(array(string)),
      verified: optional(boolean),
    }),
  ),
  rejected: fingerprintKeyed(object<RejectedToken>({ username: string, reason: string, at: string, credential: optional(fingerprintString) })),
  refused: record(object<RefusedMessage>({ reason: string, trust: string, at: string })),
  processed: array(object<ProcessedMessage>({ key: string, outcome, at: string })),
  failedLogins: record(array(string)),
  retries: fingerprintKeyed(object<PendingRetry>({ attempts: number, nextAttemptAt: string, reason: string, waiting: optional(string), path: optional(string) })),
  attempts: fingerprintKeyed(object<InFlightLogin>({ username: string, startedAt: string, count: number, counted: optional(boolean) })),
  verified: fingerprintKeyed(object<VerifiedToken>({ username: string, at: string })),
  delivered: fingerprintKeyed(array(string)),
  mailboxes: record(object<MailboxMark>({ uidValidity: string, lastUid: number, settings: optional(string), lastContact: optional(string), name: optional(string) })),
  held: record(object<HeldMessage>({ reason: string, at: string, username: optional(string), fingerprint: optional(fingerprintString) })),
  loginPaths: record(object<LoginPathAnswer>({ path: string, accepted: booleanOrNull, at: string, code: optional(string) })),
  notices: record(string),
  refresh: record(
    object<RefreshState>({
      current: optional(object<IssuedToken>({ fingerprint: fingerprintString, issuedAt: string, expiresAt: string, instanceUrl: string, destinations: array(string) })),
      lastAttemptAt: optional(string),
      nextAttemptAt: optional(string),
      failures: number,
      lastError: optional(string),
    }),
  ),
});

function empty(): LedgerData {
  return {
    version: 1,
    applied: {},
    rejected: {},
    refused: {},
    processed: [],
    failedLogins: {},
    retries: {},
    attempts: {},
    verified: {},
    delivered: {},
    mailboxes: {},
    held: {},
    loginPaths: {},
    notices: {},
    refresh: {},
  };
}

function keepNewest<K extends string, T>(items: Record<K, T>, max: number, at: (v: T) => string): void {
  const entries = Object.entries<T>(items);
  if (entries.length <= max) return;
  const kept = new Set(
    entries
      .sort((a, b) => at(b[1]).localeCompare(at(a[1])))
      .slice(0, max)
      .map(([k]) => k),
  );
  for (const key of Object.keys(items)) if (!kept.has(key)) delete items[key as K]; // a key of items is a K
}

/** Reads and checks the state file; a missing file is an empty ledger. */
/**
 * A state file that cannot be read or written because of the file system (permissions, a
 * read-only mount) is a configuration matter: one line naming the folder and what to do.
 */
export function stateError(path: string, err: unknown): Error {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM')
    return new UsageError(`cannot use the state file ${path}: permission denied in ${dirname(path)}; run sftoken as the user that owns that folder, or choose another --state`);
  if (code === 'EROFS') return new UsageError(`cannot use the state file ${path}: ${dirname(path)} is on a read-only file system; choose another --state`);
  if (code === 'ENOENT' || code === 'ENOTDIR') return new UsageError(`cannot use the state file ${path}: the folder ${dirname(path)} does not exist`);
  return err instanceof Error ? err : new Error(describe(err));
}

async function read(path: string): Promise<LedgerData> {
  let text: string;
  try {
    // A FIFO or a planted link at the state path would hang or redirect every run.
    const file = await safeTarget(path, 'state file');
    const { size } = await stat(file);
    if (size > MAX_STATE_BYTES)
      throw new UsageError(
        `state file ${path} is ${(size / 1048576).toFixed(0)} MiB, far more than sftoken ever writes: it is not an sftoken state file, or it was damaged; move it aside to start afresh`,
      );
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if (errnoCode(err) === 'ENOENT') return empty();
    const known = stateError(path, err);
    throw known instanceof UsageError ? known : new UsageError(`cannot read state file ${path}: ${describe(err)}`);
  }
  try {
    const data: unknown = JSON.parse(text);
    // Files from before a section existed lack it; every section but the version starts empty.
    const { version: _, ...sections } = empty();
    return LEDGER(data !== null && typeof data === 'object' ? { ...sections, ...data } : data, '');
  } catch (err) {
    throw new UsageError(`state file ${path} is not an sftoken state file (${describe(err)}); move it aside to start afresh`);
  }
}

type Change = (data: LedgerData) => void;

/**
 * The state file. Every change is applied to the copy in memory and kept as a step; save() takes
 * the file's lock, reads what is on disk now, replays the steps on top and writes the result. So
 * two processes sharing a state file (two runs, two replicas) never lose each other's updates.
 */
export class Ledger {
  private pending: Change[] = [];
  /** The save writing now, and the one that will follow it for everyone who asked meanwhile. */
  private writing: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  private constructor(
    readonly path: string,
    private data: LedgerData,
  ) {}

  static async open(path: string): Promise<Ledger> {
    return new Ledger(path, await read(path));
  }

  private change(step: Change): void {
    step(this.data);
    this.pending.push(step);
  }

  applied(username: string): AppliedToken | undefined {
    return this.data.applied[username];
  }

  rejection(fp: Fingerprint): RejectedToken | undefined {
    return this.data.rejected[fp];
  }

  refusal(key: string): RefusedMessage | undefined {
    return this.data.refused[key];
  }

  /** The token is in every destination: whatever was pending for it is done. */
  recordApplied(username: string, entry: AppliedToken): void {
    this.change((d) => {
      d.applied[username] = entry;
      delete d.verified[entry.fingerprint];
      delete d.retries[entry.fingerprint];
      delete d.delivered[entry.fingerprint];
    });
  }

  recordRejected(fp: Fingerprint, entry: RejectedToken): void {
    this.change((d) => {
      d.rejected[fp] = entry;
      delete d.verified[fp];
      delete d.delivered[fp];
      delete d.retries[fp];
      keepNewest(d.rejected, MAX_REJECTED, (r) => r.at);
    });
  }

  recordRefused(key: string, entry: RefusedMessage | null): void {
    this.change((d) => {
      if (!entry) delete d.refused[key];
      else d.refused[key] = entry;
      keepNewest(d.refused, MAX_REJECTED, (r) => r.at);
    });
  }

  recordProcessed(entry: ProcessedMessage): void {
    this.change((d) => {
      d.processed.push(entry);
      if (d.processed.length > MAX_PROCESSED) d.processed.splice(0, d.processed.length - MAX_PROCESSED);
    });
  }

  failedLogins(username: string): readonly string[] {
    return this.data.failedLogins[username] ?? [];
  }

  /** Keeps only the failures still inside `keep` (the guard's window), so the list stays short. */
  recordFailedLogin(username: string, at: string, keep: (times: readonly string[]) => string[]): void {
    this.change((d) => {
      d.failedLogins[username] = keep([...(d.failedLogins[username] ?? []), at]);
    });
  }

  /**
   * A failed login another copy marked in a mailbox: counted, unless this ledger has it already
   * (this copy's own, marked to the millisecond). The lockout guard drops it once it is an hour old.
   */
  noteFailedLogin(username: string, at: Date): void {
    const known = (times: readonly string[]) => times.some((t) => Date.parse(t) === at.getTime());
    if (known(this.data.failedLogins[username] ?? [])) return;
    this.change((d) => {
      const times = d.failedLogins[username] ?? [];
      if (!known(times)) d.failedLogins[username] = [...times, at.toISOString()].sort();
    });
  }

  pendingRetry(fp: Fingerprint): PendingRetry | undefined {
    return this.data.retries[fp];
  }

  recordRetry(fp: Fingerprint, retry: PendingRetry | null): void {
    this.change((d) => {
      if (!retry) delete d.retries[fp];
      else d.retries[fp] = retry;
      // A superseded token leaves its entry behind; the same bound as rejections keeps that small.
      keepNewest(d.retries, MAX_REJECTED, (r) => r.nextAttemptAt);
    });
  }

  attempt(fp: Fingerprint): InFlightLogin | undefined {
    return this.data.attempts[fp];
  }

  recordAttempt(fp: Fingerprint, attempt: InFlightLogin | null): void {
    this.change((d) => {
      if (!attempt) delete d.attempts[fp];
      else d.attempts[fp] = attempt;
    });
  }

  verified(fp: Fingerprint): VerifiedToken | undefined {
    return this.data.verified[fp];
  }

  recordVerified(fp: Fingerprint, entry: VerifiedToken): void {
    this.change((d) => {
      d.verified[fp] = entry;
      keepNewest(d.verified, MAX_REJECTED, (v) => v.at);
    });
  }

  deliveredTo(fp: Fingerprint): readonly string[] {
    return this.data.delivered[fp] ?? [];
  }

  recordDelivered(fp: Fingerprint, spec: string): void {
    this.change((d) => {
      d.delivered[fp] = [...new Set([...(d.delivered[fp] ?? []), spec])];
      keepNewest(d.delivered, MAX_REJECTED, () => '');
    });
  }

  mailbox(key: string): MailboxMark | undefined {
    return this.data.mailboxes[key];
  }

  recordMailbox(key: string, mark: MailboxMark): void {
    this.change((d) => {
      d.mailboxes[key] = mark;
    });
  }

  /** Why each held token email was refused; one taken out of the folder (replayed, pruned) is forgotten. */
  recordHeld(name: string, entry: HeldMessage | null): void {
    this.change((d) => {
      if (entry) d.held[name] = entry;
      else delete d.held[name];
      keepNewest(d.held, MAX_REJECTED, (h) => h.at);
    });
  }

  loginPath(username: string): LoginPathAnswer | undefined {
    return this.data.loginPaths[username];
  }

  recordLoginPath(username: string, answer: LoginPathAnswer): void {
    this.change((d) => {
      d.loginPaths[username] = answer;
    });
  }

  refreshState(username: string): RefreshState {
    return this.data.refresh[username] ?? { failures: 0 };
  }

  recordRefresh(username: string, state: RefreshState): void {
    this.change((d) => {
      d.refresh[username] = state;
    });
  }

  noticeTold(key: string): string | undefined {
    return this.data.notices[key];
  }

  recordNotice(key: string, at: string): void {
    this.change((d) => {
      d.notices[key] = at;
      keepNewest(d.notices, MAX_REJECTED, (t) => t);
    });
  }

  /** For tests and `status`: a copy, so that nobody changes the state behind the ledger's back. */
  snapshot(): Readonly<LedgerData> {
    return structuredClone(this.data);
  }

  /**
   * Makes every change made so far durable. Saves of one process take turns, and all that ask
   * while one is writing share the next one: it covers each of their changes, and a watcher of
   * many mailboxes neither queues at its own file lock nor writes once per caller.
   */
  save(): Promise<void> {
    if (!this.writing) return this.write();
    return (this.next ??= this.writing
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.write();
      }));
  }

  private write(): Promise<void> {
    const writing = this.writeNow().finally(() => {
      if (this.writing === writing) this.writing = null;
    });
    this.writing = writing;
    return writing;
  }

  /** Writes this process's changes on top of what is on disk now, under the file's lock. */
  private async writeNow(): Promise<void> {
    const steps = this.pending;
    this.pending = [];
    try {
      await withFileLock(this.path, async () => {
        const current = await read(this.path);
        for (const step of steps) step(current);
        await writeFileAtomic(this.path, JSON.stringify(current, null, 2) + '\n');
        // Changes made while this save ran are still pending; the copy in memory keeps them.
        for (const step of this.pending) step(current);
        this.data = current;
      });
    } catch (err) {
      // Not written: the steps stay pending for the next save, so nothing is forgotten.
      this.pending = [...steps, ...this.pending];
      throw stateError(this.path, err);
    }
  }
}

/** What a mailbox source may read and move: its high-water marks. */
export type MailboxMarks = Pick<Ledger, 'mailbox' | 'recordMailbox'>;

/** What deliver and replay may write of the held folder's bookkeeping. */
export type HeldMarks = Pick<Ledger, 'recordHeld'>;

/** What the access-token refresh reads and writes of the ledger. */
export type RefreshMarks = Pick<Ledger, 'refreshState' | 'recordRefresh'>;

/** What a mailbox source adds to the failed-login budget: the failures other copies marked there. */
export type FailedLoginMarks = Pick<Ledger, 'noteFailedLogin'>;

/** Which notices were told already (a login path's end), so that each is told once. */
export type NoticeMarks = Pick<Ledger, 'noticeTold' | 'recordNotice'>;

/** Everything `status` shows, read from the state file alone. */
export type LedgerSnapshot = Readonly<LedgerData>;
