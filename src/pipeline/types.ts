import type { AppliedToken, RefusedMessage, RejectedToken } from '../state/ledger.js';
import type { SecretStore } from '../stores/types.js';

import type { TrustPolicy } from '../trust/policy.js';
import type { Fingerprint } from '../util/fingerprint.js';
import type { Logger } from '../util/log.js';
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

/** The answer of a test login, as the pipeline needs it (verify/ classifies the details). */
export type Verdict = { verdict: 'accepted' } | { verdict: 'rejected'; reason: Reason; remember: boolean; note?: string } | { verdict: 'transient'; reason: Reason; note?: string };

export interface Verifier {
  verify(username: string, token: string, fp: Fingerprint): Promise<Verdict>;
  /** The credential a login for this user would use now; rejections are remembered against it. */
  credentialFingerprint(username: string): Fingerprint | null;
}

/** The part of the ledger the pipeline reads (select) and writes (apply); it never saves. */
interface PipelineLedger {
  applied(username: string): AppliedToken | undefined;
  rejection(fp: Fingerprint): RejectedToken | undefined;
  refusal(key: string): RefusedMessage | undefined;
  recordApplied(username: string, entry: AppliedToken): void;
  recordRejected(fp: Fingerprint, entry: RejectedToken): void;
  recordRefused(key: string, entry: RefusedMessage | null): void;
  /** Destinations that already have a token not yet in all of them: not written again. */
  deliveredTo(fp: Fingerprint): readonly string[];
  recordDelivered(fp: Fingerprint, spec: string): void;
  recordProcessed(entry: { key: string; outcome: Outcome; at: string }): void;
}

export interface PipelineDeps {
  trust: TrustPolicy;
  /** Identifies the trust settings: a refusal under other settings is looked at again. */
  trustFingerprint: string;
  ledger: PipelineLedger;
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
}
