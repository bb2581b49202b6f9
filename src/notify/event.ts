/** What every notification format starts from, and the words chat formats share. */
import { meaning } from '../pipeline/outcomes.js';
import type { MessageRecord } from '../pipeline/types.js';

/** What a notification says: never a token or password, only what the record already shows. */
export interface NotificationEvent {
  /** A token email's fate, or a notice about the setup itself (a login path about to end). */
  kind: 'token-email' | 'notice';
  /** A token email's outcome; null for a notice. */
  outcome: MessageRecord['outcome'] | null;
  reason: string | null;
  username: string | null;
  fingerprint: string | null;
  source: string;
  at: string;
  /** What a person should do, when anything. */
  note: string | null;
  /** A notice's first line, in place of the one an outcome makes. */
  headline?: string;
}

/** The event in a few lines a person reads in a chat: what happened, what to do, where. */
export function sentence(e: NotificationEvent): string {
  const token = e.fingerprint ? ` (${e.fingerprint})` : '';
  const email = e.username ? `a token email for ${e.username}${token}` : 'a token email';
  const m = e.outcome ? meaning(e.outcome, e.reason ?? undefined) : null;
  const head = e.headline
    ? `sftoken: ${e.headline}`
    : m?.delivered
      ? `sftoken: the new security token of ${e.username ?? 'a user'}${token} is stored`
      : m?.refused
        ? `sftoken: ${email} was refused: ${e.reason ?? 'unknown reason'}`
        : `sftoken: ${email} could not be handled yet: ${e.reason ?? 'unknown reason'}`;
  return [head, e.note ? `What to do: ${e.note}` : null, `Source: ${e.source}, ${e.at}`].filter(Boolean).join('\n');
}
