import type { Fingerprint } from './util/fingerprint.js';

export type OutcomeKind = 'stored' | 'would-store' | 'superseded' | 'ignored' | 'rejected' | 'failed';

/** Outcomes after which a message needs no more work: it may be settled, and exits with 0. */
export function isFinal(outcome: OutcomeKind): boolean {
  return outcome !== 'failed';
}

/** One line of the output contract (DESIGN §2): what happened to one message. */
export interface MessageRecord {
  outcome: OutcomeKind;
  reason?: string;
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
