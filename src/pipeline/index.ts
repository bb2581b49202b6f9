import { afterMessage, isLarge } from '../util/memory.js';
import { apply } from './apply.js';
import { baseRecord, examine, unexpected, type Examined } from './examine.js';
import { outcomeOf } from './outcomes.js';
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

/**
 * Runs one batch through the pipeline (DESIGN §1) and returns a record per message, oldest
 * first. Selection sees the whole batch, so an old token is never tried when a newer one for
 * the same user is at hand. Every stage before apply is free of side effects.
 */
export async function processBatch(messages: readonly RawMessage[], deps: PipelineDeps): Promise<Handled[]> {
  const concurrency = messages.some((m) => isLarge(m.size)) ? 1 : EXAMINE_CONCURRENCY;
  const examined: Examined[] = await mapLimit(messages, concurrency, (m) =>
    examine(m, deps)
      .catch((err: unknown) => unexpected(m, err, deps))
      .finally(() => afterMessage(m.size)),
  );
  const candidates = examined.flatMap((e) => (e.kind === 'candidate' ? [e.candidate] : []));
  const selection = select(candidates, ledgerView(deps));
  const handled: Array<Handled & { sortDate: Date | null }> = [];
  for (const e of examined) {
    if (e.kind === 'done') {
      handled.push({ message: e.message, record: e.record, sortDate: e.sortDate, tokenEmail: e.tokenEmail });
      continue;
    }
    const c = e.candidate;
    const chosen = selection.get(c);
    let record: MessageRecord;
    if (!chosen || chosen.decision === 'apply') record = await apply(c, deps);
    else {
      record = { outcome: outcomeOf(chosen.reason), reason: chosen.reason, ...baseRecord(c.message, c.date, c.messageId), username: c.username, fingerprint: c.fingerprint };
      deps.log.debug('token not applied', { username: c.username, fingerprint: c.fingerprint, reason: chosen.reason, source: c.message.source });
    }
    handled.push({ message: c.message, record, sortDate: c.date, tokenEmail: true });
  }
  for (const h of handled) {
    deps.ledger.recordProcessed({ key: h.record.messageId ?? h.record.source, outcome: h.record.outcome, at: new Date().toISOString() });
  }
  return handled
    .sort((a, b) => (a.sortDate?.getTime() ?? 0) - (b.sortDate?.getTime() ?? 0) || a.message.sequence - b.message.sequence)
    .map(({ message, record, tokenEmail }) => ({ message, record, tokenEmail }));
}
