import type { AppliedToken, InFlightLogin, PendingRetry, RefusedMessage, RejectedToken } from '../state/ledger.js';
import type { SecretStore } from '../stores/types.js';

import type { TrustPolicy } from '../trust/policy.js';
import type { Fingerprint } from '../util/fingerprint.js';
import type { Logger } from '../util/log.js';
import type { Redactor } from '../util/redact.js';
import type { Outcome, Reason, TrustedVia } from './outcomes.js';

/** An opened destination, under the spec the user wrote (the ledger's key for it). */
export interface OpenDestination {
  spec: string;
  store: SecretStore;
}

/** One message as a source hands it over: bytes on demand, plus where it came from. */
export interface RawMessage {
  /** The file path as given, or imap:<mailbox>/<uidvalidity>/<uid>. */
  source: string;
  /** File mtime or IMAP INTERNALDATE: the tie-breaker after the email's own Date. */
  receivedAt: Date | null;
  /** Position in the source (UID, or order of discovery): the last tie-breaker. */
  sequence: number;
  /** Size in bytes when the source knows it before reading, so oversize mail is never read. */
  size: number | null;
  /**
   * Marked refused in its mailbox under the current settings (by any copy, with or without
   * state): reported as refused before, never read or tried again.
   */
  refusedHere?: boolean;
  /**
   * With replicas: whether this replica still holds the message's claim, asked just before a
   * destination is written. A replica that lost it (paused past its expiry) gives the message up.
   */
  stillOurs?: () => Promise<boolean>;
  load(): Promise<Buffer>;
}

/**
 * A source found, while reading, that the message is over the size cap though it did not say
 * so before (an IMAP server that reported a smaller size): the message is refused, not retried.
 */
export class TooLarge extends Error {}

/** One line of the output contract (DESIGN §2): what happened to one message. */
export interface MessageRecord {
  outcome: Outcome;
  /** Why; on stored and would-store records, how the email was trusted. */
  reason?: Reason | TrustedVia;
  username?: string;
  fingerprint?: Fingerprint;
  messageId?: string;
  date?: string;
  source: string;
  /** On stored records: whether a test login proved the token (false with --no-verify). */
  verified?: boolean;
  /** Printed for people only, never part of the JSON contract. */
  note?: string;
}

/** A message after the pipeline, as the source that produced it needs to settle it. */
export interface Handled {
  message: RawMessage;
  record: MessageRecord;
  /** Classified as a token email: the only kind a mailbox source may settle. */
  tokenEmail: boolean;
  /** Failed logins its token cost (ISO times): a mailbox marks them on the message for every copy. */
  loginFailures?: string[];
}

/** Runs messages through the pipeline and reports them. */
export type BatchHandler = (messages: readonly RawMessage[]) => Promise<Handled[]>;

/**
 * A source's place in the next batch, taken before it connects or searches: the batch waits
 * (for a bounded time) for the sources still searching, so selection sees every mailbox's token
 * emails for a user at once and never tries an older one first.
 */
export interface BatchSlot {
  /** Hands over what the source found; resolves with what became of each message. */
  handle(messages: readonly RawMessage[]): Promise<Handled[]>;
  /** Nothing (more) to hand over: the batch need not wait for this source. Safe to repeat. */
  leave(): void;
}

/** Takes a place in the next batch. */
export type JoinBatch = () => BatchSlot;

/**
 * The answer of a test login, as the pipeline needs it (verify/ classifies the details). `retry`,
 * where present, is the new schedule for this token's next login (null: none is due): what the
 * pipeline records for the runs after this one.
 */
export type Verdict = (
  | { verdict: 'accepted' }
  | { verdict: 'rejected'; reason: Reason; remember: boolean; note?: string; retry?: null }
  | { verdict: 'transient'; reason: Reason; note?: string; retry?: PendingRetry | null }
) & {
  /**
   * When each failed login this verification counted against the budget happened: a mailbox
   * source marks them on the message, where every replica and every copy without state sees them.
   */
  counted?: string[];
};

export interface Verifier {
  verify(username: string, token: string, fp: Fingerprint): Promise<Verdict>;
  /** The credential a login for this user would use now; rejections are remembered against it. */
  credentialFingerprint(username: string): Fingerprint | null;
}

/** How a login ended, as the journal records it. */
export interface LoginAnswer {
  username: string;
  at: Date;
  /** It proved the token: remembered, so that a destination that failed is retried without a login. */
  verified: boolean;
  /** It counts against the user's failed-login budget: a refusal, or a failure that may have reached Salesforce. */
  failed: boolean;
  /** Failed logins that still count (the last hour's): older ones are dropped as this one is added. */
  keepFailures: (times: readonly string[]) => string[];
  /**
   * What the answer said of the login path itself (DESIGN §5): accepted (it logged in, or judged
   * the credentials), refused (the path is closed), or unknown (OAuth's invalid_grant).
   */
  path?: { label: string; accepted: boolean | null; code?: string };
}

/**
 * The one record a stage writes itself, because it must be on disk before the next step acts
 * (record before act, DESIGN §2a): a login before it is sent and as soon as it is answered, so a
 * crash between the two is found on the next start and never forgotten; a destination as soon as
 * it has the token, so a retry after a crash does not write it again. Each write returns once it
 * is durable. Everything else a stage decides, it returns as data for processBatch to record.
 */
export interface Journal {
  /** Failed logins of this user, newest last (the lockout guard's memory). */
  failedLogins(username: string): readonly string[];
  /** A login sent in an earlier run and never answered (cut off by a crash). */
  inFlight(fp: Fingerprint): InFlightLogin | undefined;
  pendingRetry(fp: Fingerprint): PendingRetry | undefined;
  verified(fp: Fingerprint): boolean;
  deliveredTo(fp: Fingerprint): readonly string[];
  loginStarted(fp: Fingerprint, login: InFlightLogin): Promise<void>;
  /** A cut-off login counted against the budget at the time it was sent; its count stays, for the crash-loop cap. */
  cutOffCounted(fp: Fingerprint, login: InFlightLogin, keepFailures: (times: readonly string[]) => string[]): Promise<void>;
  loginAnswered(fp: Fingerprint, answer: LoginAnswer): Promise<void>;
  /** Gives up on a cut-off login for good: it is not repeated. */
  loginAbandoned(fp: Fingerprint): Promise<void>;
  delivered(fp: Fingerprint, spec: string): Promise<void>;
}

/** What the pipeline reads of earlier runs (select, examine, apply) and what processBatch records. */
interface PipelineLedger {
  applied(username: string): AppliedToken | undefined;
  rejection(fp: Fingerprint): RejectedToken | undefined;
  refusal(key: string): RefusedMessage | undefined;
  recordApplied(username: string, entry: AppliedToken): void;
  recordRejected(fp: Fingerprint, entry: RejectedToken): void;
  recordRefused(key: string, entry: RefusedMessage | null): void;
  recordRetry(fp: Fingerprint, retry: PendingRetry | null): void;
  recordProcessed(entry: { key: string; outcome: Outcome; at: string }): void;
}

export interface PipelineDeps {
  trust: TrustPolicy;
  /** Identifies the trust settings: a refusal under other settings is looked at again. */
  trustFingerprint: string;
  ledger: PipelineLedger;
  journal: Journal;
  /** Makes what the ledger learned durable before the next step acts on it (record before act). */
  checkpoint(): Promise<void>;
  /**
   * Where a user's token goes: every destination must have it before it counts as stored. Null
   * in a dry run: nothing is written anywhere.
   */
  destinations: ((username: string) => readonly OpenDestination[]) | null;
  /** Null with --no-verify: the token is stored untested, and the output says so. */
  verifier: Verifier | null;
  /** With accounts configured, the usernames the tool may act for; null accepts any. */
  knownUser: ((username: string) => boolean) | null;
  maxMessageBytes: number;
  /**
   * Milliseconds one message may take from parse to extraction. Every step is linear in the
   * message's size; the budget catches what that reasoning missed, refusing the message as
   * too-complex instead of holding up the mail behind it.
   */
  messageBudgetMs: number;
  log: Logger;
  /** The run's secrets: a token joins them the moment it is read out of an email. */
  secrets: Redactor;
}
