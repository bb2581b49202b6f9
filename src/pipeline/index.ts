// pipeline/: the stages every source shares (examine, select, apply), the shared types and the
// one table of outcomes. Stages decide and return data; processBatch records it.
import { afterMessage, isLarge } from '../util/memory.js';
import type { Fingerprint } from '../util/fingerprint.js';
import { apply, type Applied } from './apply.js';
import { baseRecord, examine, unexpected, type Examined, type RefusalChange, type TokenCandidate } from './examine.js';
import { meaning, outcomeOf, type Reason } from './outcomes.js';
import { select, type LedgerView } from './select.js';
import type { Handled, MessageRecord, PipelineDeps, RawMessage } from './types.js';

// Reading and parsing overlap I/O with CPU; more in flight only adds memory. A batch holding
// large messages (spam, most likely) goes one at a time, so that memory stays that of one.
const EXAMINE_CONCURRENCY = 4;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item !== undefined) results[i] = await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The ledger as selection sees it: a rejection counts only while the credential it was made
 * with is still the one configured, so fixing a stale password gives the token one more try.
 */
function ledgerView(deps: PipelineDeps): LedgerView {
  return {
    applied: (username) => deps.ledger.applied(username),
    lacksDestination: (username) => {
      const have = new Set(deps.ledger.applied(username)?.destinations ?? []);
      // Entries from before destinations were recorded count as complete: nothing to redo.
      return have.size > 0 && (deps.destinations?.(username) ?? []).some((d) => !have.has(d.spec));
    },
    rejection: (fp) => {
      const r = deps.ledger.rejection(fp);
      if (!r?.credential) return r;
      const current = deps.verifier?.credentialFingerprint(r.username);
      return !current || r.credential === current ? r : undefined;
    },
  };
}

/** What examine and apply decided, written into the ledger: the stages themselves write nothing. */
function record(deps: PipelineDeps, fp: Fingerprint | null, decided: { refusal?: RefusalChange } & Partial<Omit<Applied, 'record'>>, username?: string): void {
  if (decided.refusal) deps.ledger.recordRefused(decided.refusal.key, decided.refusal.entry);
  if (!fp) return;
  if (decided.retry !== undefined) deps.ledger.recordRetry(fp, decided.retry);
  if (decided.rejected) deps.ledger.recordRejected(fp, decided.rejected);
  if (decided.applied && username) deps.ledger.recordApplied(username, decided.applied);
}

/**
 * Runs one batch through the pipeline (DESIGN §1) and returns a record per message, oldest
 * first. Selection sees the whole batch, so an old token is never tried when a newer one for
 * the same user is at hand. The stages return what they decided; it is recorded here, and a
 * refusal is made durable before the next login (a crash must not lead to trying it again).
 */
export async function processBatch(messages: readonly RawMessage[], deps: PipelineDeps): Promise<Handled[]> {
  const concurrency = messages.some((m) => isLarge(m.size)) ? 1 : EXAMINE_CONCURRENCY;
  const examined: Examined[] = await mapLimit(messages, concurrency, (m) =>
    examine(m, deps)
      .then((e) => {
        // The token joins the run's secrets the moment it is read: from here on no line shows it.
        if (e.kind === 'candidate') deps.secrets.add(e.candidate.token);
        return e;
      })
      .catch((err: unknown) => unexpected(m, err, deps))
      .finally(() => afterMessage(m.size)),
  );
  for (const e of examined) record(deps, null, e);
  const candidates = examined.flatMap((e) => (e.kind === 'candidate' ? [e.candidate] : []));
  const selection = select(candidates, ledgerView(deps));
  const handled: Array<Handled & { sortDate: Date | null }> = [];
  const results = new Map<TokenCandidate, MessageRecord>();
  const failures = new Map<TokenCandidate, string[]>();
  const leave = (c: TokenCandidate, reason: Reason): MessageRecord => {
    deps.log.debug('token not applied', { username: c.username, fingerprint: c.fingerprint, reason, source: c.message.source });
    return { outcome: outcomeOf(reason), reason, ...baseRecord(c.message, c.date, c.messageId), username: c.username, fingerprint: c.fingerprint };
  };
  // Each user's tokens in their turns: the next is tried only after the one before was refused
  // for good; once one is proven (stored, already applied, or would be), the rest are superseded
  // by it; while one waits (failed, the budget), the rest wait behind it.
  const turns = new Map<string, Array<{ c: TokenCandidate; turn: number }>>();
  for (const c of candidates) {
    const chosen = selection.get(c);
    if (chosen?.decision === 'skip') results.set(c, leave(c, chosen.reason));
    else turns.set(c.username, [...(turns.get(c.username) ?? []), { c, turn: chosen?.turn ?? 0 }]);
  }
  for (const queue of turns.values()) {
    let behind: Reason | null = null;
    for (const { c } of queue.sort((a, b) => a.turn - b.turn)) {
      if (behind) {
        results.set(c, leave(c, behind));
        continue;
      }
      const applied = await apply(c, deps);
      record(deps, c.fingerprint, applied, c.username);
      if (applied.rejected) await deps.checkpoint();
      results.set(c, applied.record);
      if (applied.counted) failures.set(c, applied.counted);
      const m = meaning(applied.record.outcome, applied.record.reason);
      if (!m.final) behind = 'waiting-for-newer';
      else if (!m.refused) behind = 'newer-token';
    }
  }
  for (const e of examined) {
    if (e.kind === 'done') handled.push({ message: e.message, record: e.record, sortDate: e.sortDate, tokenEmail: e.tokenEmail });
    else {
      const loginFailures = failures.get(e.candidate);
      handled.push({
        message: e.candidate.message,
        record: results.get(e.candidate) ?? leave(e.candidate, 'internal-error'),
        sortDate: e.candidate.date,
        tokenEmail: true,
        ...(loginFailures ? { loginFailures } : {}),
      });
    }
  }
  for (const h of handled) {
    deps.ledger.recordProcessed({ key: h.record.messageId ?? h.record.source, outcome: h.record.outcome, at: new Date().toISOString() });
  }
  return handled.sort((a, b) => (a.sortDate?.getTime() ?? 0) - (b.sortDate?.getTime() ?? 0) || a.message.sequence - b.message.sequence).map(({ sortDate: _, ...h }) => h);
}
