import type { AppliedToken, PendingRetry, RejectedToken } from '../state/ledger.js';
import { NewerHeld, UsageError, describe } from '../util/errors.js';
import { baseRecord, type TokenCandidate } from './examine.js';
import { outcomeOf } from './outcomes.js';
import type { MessageRecord, PipelineDeps } from './types.js';

/** What apply decided: the record, and what the ledger learns from it (processBatch records it). */
export interface Applied {
  record: MessageRecord;
  /** The token was refused and is not tried again with this credential. */
  rejected?: RejectedToken;
  /** The next login's schedule for this token (null: none is due). */
  retry?: PendingRetry | null;
  /** The token is in every destination. */
  applied?: AppliedToken;
  /** When failed logins for it were counted against the budget (Verdict.counted). */
  counted?: string[];
}

/**
 * Verify (unless told not to) and store one selected token. It writes nothing but the journal
 * (each destination as soon as it has the token); what the ledger learns goes back as data. A
 * destination that is broken beyond retrying (a corrupt file) is a configuration error and stops
 * the run; anything else that fails leaves the message failed, to be tried again.
 */
export async function apply(c: TokenCandidate, deps: PipelineDeps): Promise<Applied> {
  const counted: string[] = [];
  const applied = await applyCounting(c, deps, counted);
  return counted.length ? { ...applied, counted } : applied;
}

async function applyCounting(c: TokenCandidate, deps: PipelineDeps, counted: string[]): Promise<Applied> {
  const base = { ...baseRecord(c.message, c.date, c.messageId), username: c.username, fingerprint: c.fingerprint };
  const fields = { username: c.username, fingerprint: c.fingerprint, source: c.message.source };
  // The reason of a token that goes on says why it was trusted: the decision an auditor asks about.
  const trusted = { reason: c.trustedVia };
  if (!deps.destinations) return { record: { outcome: 'would-store', ...base, ...trusted, note: 'dry run: not verified, not stored' } };
  let note = 'verified by a test login';
  const applied = deps.ledger.applied(c.username);
  const alreadyProven = applied?.fingerprint === c.fingerprint;
  if (alreadyProven) note = 'already applied; written to a new destination';
  else if (deps.verifier) {
    const verdict = await deps.verifier.verify(c.username, c.token, c.fingerprint);
    counted.push(...(verdict.counted ?? []));
    if (verdict.verdict !== 'accepted') {
      const record: MessageRecord = { outcome: outcomeOf(verdict.reason), reason: verdict.reason, ...base, ...(verdict.note ? { note: verdict.note } : {}) };
      const learned: Applied = { record, ...(verdict.retry !== undefined ? { retry: verdict.retry } : {}) };
      if (verdict.verdict === 'transient') {
        deps.log.warn('test login did not complete; will retry', { ...fields, reason: verdict.reason });
        return learned;
      }
      deps.log.warn('token refused by Salesforce', { ...fields, reason: verdict.reason });
      if (!verdict.remember) return learned;
      const credential = deps.verifier.credentialFingerprint(c.username);
      return { ...learned, rejected: { username: c.username, reason: verdict.reason, at: new Date().toISOString(), ...(credential ? { credential } : {}) } };
    }
  } else {
    note = 'not verified (--no-verify)';
  }
  // A replica paused past its claim's expiry (a frozen VM) may find another one took the message
  // over and went on, even to a newer token: it must not write what it proved back then.
  if (c.message.stillOurs && !(await c.message.stillOurs())) {
    deps.log.warn('this replica no longer holds the message: it is given up, not written', fields);
    return { record: { outcome: 'failed', reason: 'claim-lost', ...base, note: 'another replica took this message over while this one was paused or slow; nothing was written' } };
  }
  const verified = deps.verifier !== null;
  const destinations = deps.destinations(c.username);
  const done = new Set([...deps.journal.deliveredTo(c.fingerprint), ...(alreadyProven ? (applied.destinations ?? []) : [])]);
  const failures: Array<{ description: string; error: string }> = [];
  const orderTime = c.orderTime.toISOString();
  for (const { spec, store } of destinations) {
    if (done.has(spec)) continue;
    try {
      await store.set(c.username, c.token, { fingerprint: c.fingerprint, emailDate: c.date.toISOString(), orderTime, verified });
    } catch (err) {
      if (err instanceof UsageError) throw err;
      if (err instanceof NewerHeld) {
        // Another writer (a replica, a later run) already put a newer token there: this one is
        // older, so it goes no further, and a person hears of it rather than a silent supersession.
        deps.log.warn('a destination holds a newer token; this older one is not written', { ...fields, store: store.description, held: err.heldOrderTime });
        return {
          record: { outcome: 'superseded', reason: `destination-newer:${store.description}`, ...base, note: `${err.message}; this token, from an email of ${orderTime}, was not written there` },
        };
      }
      deps.log.error('destination write failed; will retry', { ...fields, store: store.description, error: describe(err) });
      failures.push({ description: store.description, error: describe(err) });
      continue;
    }
    await deps.journal.delivered(c.fingerprint, spec);
  }
  const [first] = failures;
  if (first) {
    const others = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
    return { record: { outcome: 'failed', reason: `store-unavailable:${first.description}`, ...base, note: `${first.error}${others}; retried without another login` } };
  }
  const have = [...new Set([...done, ...destinations.map((d) => d.spec)])];
  const where = destinations.map((d) => d.store.description).join(', ');
  deps.log.info('token stored', { ...fields, store: where, verified });
  return {
    record: { outcome: 'stored', ...base, ...trusted, verified, note: `${note}; written to ${where}` },
    applied: { fingerprint: c.fingerprint, emailDate: c.date.toISOString(), orderTime, messageId: c.messageId, storedAt: new Date().toISOString(), destinations: have, verified },
  };
}
