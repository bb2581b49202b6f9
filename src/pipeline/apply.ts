import { UsageError, describe } from '../util/errors.js';
import { baseRecord, type TokenCandidate } from './examine.js';
import { outcomeOf } from './outcomes.js';
import type { MessageRecord, PipelineDeps } from './types.js';

/**
 * Verify (unless told not to) and store one selected token; the ledger learns the result. A
 * destination that is broken beyond retrying (a corrupt file) is a configuration error and
 * stops the run; anything else that fails leaves the message failed, to be tried again.
 */
export async function apply(c: TokenCandidate, deps: PipelineDeps): Promise<MessageRecord> {
  const base = { ...baseRecord(c.message, c.date, c.messageId), username: c.username, fingerprint: c.fingerprint };
  const fields = { username: c.username, fingerprint: c.fingerprint, source: c.message.source };
  // The reason of a token that goes on says why it was trusted: the decision an auditor asks about.
  const trusted = { reason: c.trustedVia };
  if (!deps.destinations) return { outcome: 'would-store', ...base, ...trusted, note: 'dry run: not verified, not stored' };
  let note = 'verified by a test login';
  const applied = deps.ledger.applied(c.username);
  const alreadyProven = applied?.fingerprint === c.fingerprint;
  if (alreadyProven) note = 'already applied; written to a new destination';
  else if (deps.verifier) {
    const verdict = await deps.verifier.verify(c.username, c.token, c.fingerprint);
    if (verdict.verdict === 'rejected') {
      if (verdict.remember) {
        const credential = deps.verifier.credentialFingerprint(c.username);
        deps.ledger.recordRejected(c.fingerprint, { username: c.username, reason: verdict.reason, at: new Date().toISOString(), ...(credential ? { credential } : {}) });
        await deps.checkpoint();
      }
      deps.log.warn('token refused by Salesforce', { ...fields, reason: verdict.reason });
      return { outcome: outcomeOf(verdict.reason), reason: verdict.reason, ...base, ...(verdict.note ? { note: verdict.note } : {}) };
    }
    if (verdict.verdict === 'transient') {
      deps.log.warn('test login did not complete; will retry', { ...fields, reason: verdict.reason });
      return { outcome: outcomeOf(verdict.reason), reason: verdict.reason, ...base, ...(verdict.note ? { note: verdict.note } : {}) };
    }
  } else {
    note = 'not verified (--no-verify)';
  }
  const verified = deps.verifier !== null;
  const destinations = deps.destinations(c.username);
  const done = new Set([...deps.ledger.deliveredTo(c.fingerprint), ...(alreadyProven ? (applied.destinations ?? []) : [])]);
  const failures: Array<{ description: string; error: string }> = [];
  for (const { spec, store } of destinations) {
    if (done.has(spec)) continue;
    try {
      await store.set(c.username, c.token, { fingerprint: c.fingerprint, emailDate: c.date.toISOString(), verified });
    } catch (err) {
      if (err instanceof UsageError) throw err;
      deps.log.error('destination write failed; will retry', { ...fields, store: store.description, error: describe(err) });
      failures.push({ description: store.description, error: describe(err) });
      continue;
    }
    // Made durable at once: a retry after a crash does not write this destination again.
    deps.ledger.recordDelivered(c.fingerprint, spec);
    await deps.checkpoint();
  }
  const [first] = failures;
  if (first) {
    const others = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
    return { outcome: 'failed', reason: `store-unavailable:${first.description}`, ...base, note: `${first.error}${others}; retried without another login` };
  }
  const have = [...new Set([...done, ...destinations.map((d) => d.spec)])];
  deps.ledger.recordApplied(c.username, { fingerprint: c.fingerprint, emailDate: c.date.toISOString(), messageId: c.messageId, storedAt: new Date().toISOString(), destinations: have, verified });
  const where = destinations.map((d) => d.store.description).join(', ');
  deps.log.info('token stored', { ...fields, store: where, verified });
  return { outcome: 'stored', ...base, ...trusted, verified, note: `${note}; written to ${where}` };
}
