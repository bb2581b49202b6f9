import { describe } from './util/errors.js';
import { fingerprint, type Fingerprint } from './util/fingerprint.js';
import type { Ledger } from './state/ledger.js';
import type { Logger } from './util/log.js';
import { classify } from './mail/classify.js';
import { extractToken } from './mail/extract.js';
import { parseEmail, precheck } from './mail/parse.js';
import type { TrustPolicy } from './trust/policy.js';
import type { MessageRecord } from './outcome.js';
import { registerSecret } from './util/redact.js';
import { select, type Contender, type LedgerView } from './pipeline/select.js';
import type { RawMessage } from './sources/types.js';
import type { SecretStore } from './stores/index.js';

/** The answer of a test login, as the pipeline needs it (verify/ classifies the details). */
export type Verdict =
  | { verdict: 'accepted' }
  | { verdict: 'rejected'; reason: string; remember: boolean; note?: string }
  | { verdict: 'transient'; reason: string; note?: string };

export interface Verifier {
  verify(username: string, token: string, fp: Fingerprint): Promise<Verdict>;
  /** The credential a login for this user would use now; rejections are remembered against it. */
  credentialFingerprint(username: string): Fingerprint | null;
}

export interface PipelineDeps {
  trust: TrustPolicy;
  ledger: Ledger;
  /** Null in a dry run: nothing is written anywhere. */
  store: SecretStore | null;
  /** Null with --no-verify: the token is stored untested, and the output says so. */
  verifier: Verifier | null;
  /** With accounts configured, the usernames the tool may act for; null accepts any. */
  knownUser: ((username: string) => boolean) | null;
  maxMessageBytes: number;
  log: Logger;
}

export interface Handled {
  message: RawMessage;
  record: MessageRecord;
  /** Classified as a token email: the only kind a mailbox source may settle. */
  tokenEmail: boolean;
}

interface TokenCandidate extends Contender {
  message: RawMessage;
  token: string;
  messageId: string | null;
  trustedVia: string;
}

type Examined = { kind: 'done'; message: RawMessage; record: MessageRecord; sortDate: Date | null; tokenEmail: boolean } | { kind: 'candidate'; candidate: TokenCandidate };

// Reading and parsing overlap I/O with CPU; more in flight only adds memory.
const EXAMINE_CONCURRENCY = 4;

function baseRecord(message: RawMessage, date: Date | null, messageId: string | null): Pick<MessageRecord, 'source' | 'date' | 'messageId'> {
  return { source: message.source, ...(date ? { date: date.toISOString() } : {}), ...(messageId ? { messageId } : {}) };
}

/** Everything up to select: pure but for reading the message and asking the trust policy. */
async function examine(message: RawMessage, deps: PipelineDeps): Promise<Examined> {
  let tokenEmail = false;
  const done = (outcome: MessageRecord['outcome'], reason: string, date: Date | null = message.receivedAt, messageId: string | null = null, extra: Partial<MessageRecord> = {}): Examined => ({
    kind: 'done',
    message,
    tokenEmail,
    sortDate: date,
    record: { outcome, reason, ...baseRecord(message, date, messageId), ...extra },
  });
  if (message.size !== null && message.size > deps.maxMessageBytes) return done('rejected', 'too-large');
  let raw: Buffer;
  try {
    raw = await message.load();
  } catch (err) {
    deps.log.warn('cannot read message', { source: message.source, error: describe(err) });
    return done('failed', `read-error:${(err as NodeJS.ErrnoException).code ?? 'unknown'}`);
  }
  const early = precheck(raw, deps.maxMessageBytes);
  const parsed = early ?? (await parseEmail(raw, deps.maxMessageBytes));
  if (!parsed.ok) return done(parsed.outcome, parsed.reason);
  const { email } = parsed;
  const date = email.date ?? message.receivedAt;
  if (!classify(email).tokenEmail) return done('ignored', 'not-token-email', date, email.messageId);
  tokenEmail = true;

  const extracted = extractToken(email.text);
  if (extracted.ok) registerSecret(extracted.value.token);
  const identity = extracted.ok ? { username: extracted.value.username, fingerprint: fingerprint(extracted.value.token) } : {};

  // Trust before anything is acted on: an untrusted email must never lead to a login.
  const trust = await deps.trust({ email, raw });
  if ('transient' in trust) return done('failed', trust.reason, date, email.messageId, identity);
  if (!trust.trusted) {
    deps.log.warn('token email not trusted', { source: message.source, reason: trust.reason, from: email.from?.address ?? null });
    return done('rejected', trust.reason, date, email.messageId, identity);
  }
  deps.log.info('token email trusted', { source: message.source, via: trust.via, ...identity });
  if (!extracted.ok) return done('rejected', extracted.reason, date, email.messageId);
  const { username, token } = extracted.value;
  if (deps.knownUser && !deps.knownUser(username)) return done('ignored', 'unknown-user', date, email.messageId, identity);
  return {
    kind: 'candidate',
    candidate: {
      message,
      username,
      token,
      fingerprint: fingerprint(token),
      date: date ?? new Date(0),
      receivedAt: message.receivedAt,
      sequence: message.sequence,
      messageId: email.messageId,
      trustedVia: trust.via,
    },
  };
}

/**
 * A bug met by one message (a library throwing on input nobody foresaw) must not sink the batch
 * or lose the message: it is logged and left as failed, to be tried again.
 */
function unexpected(message: RawMessage, err: unknown, deps: PipelineDeps): Examined {
  deps.log.error('unexpected error while examining a message', { source: message.source, error: describe(err).split('\n')[0] });
  return { kind: 'done', message, tokenEmail: false, sortDate: message.receivedAt, record: { outcome: 'failed', reason: 'internal-error', source: message.source } };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Verify (unless told not to) and store one selected token; the ledger learns the result. */
async function apply(c: TokenCandidate, deps: PipelineDeps): Promise<MessageRecord> {
  const base = { ...baseRecord(c.message, c.date, c.messageId), username: c.username, fingerprint: c.fingerprint };
  const fields = { username: c.username, fingerprint: c.fingerprint, source: c.message.source };
  // The reason of a token that goes on says why it was trusted: the decision an auditor asks about.
  const trusted = { reason: c.trustedVia };
  if (!deps.store) return { outcome: 'would-store', ...base, ...trusted, note: 'dry run: not verified, not stored' };
  let note = 'verified by a test login';
  if (deps.verifier) {
    const verdict = await deps.verifier.verify(c.username, c.token, c.fingerprint);
    if (verdict.verdict === 'rejected') {
      if (verdict.remember) {
        const credential = deps.verifier.credentialFingerprint(c.username);
        deps.ledger.recordRejected(c.fingerprint, { username: c.username, reason: verdict.reason, at: new Date().toISOString(), ...(credential ? { credential } : {}) });
      }
      deps.log.warn('token refused by Salesforce', { ...fields, reason: verdict.reason });
      return { outcome: 'rejected', reason: verdict.reason, ...base, ...(verdict.note ? { note: verdict.note } : {}) };
    }
    if (verdict.verdict === 'transient') {
      deps.log.warn('test login did not complete; will retry', { ...fields, reason: verdict.reason });
      return { outcome: 'failed', reason: verdict.reason, ...base, ...(verdict.note ? { note: verdict.note } : {}) };
    }
  } else {
    note = 'not verified (--no-verify)';
  }
  try {
    await deps.store.set(c.username, c.token, { fingerprint: c.fingerprint, emailDate: c.date.toISOString() });
  } catch (err) {
    deps.log.error('store write failed; will retry', { ...fields, store: deps.store.description, error: describe(err) });
    return { outcome: 'failed', reason: 'store-unavailable', ...base, note: describe(err) };
  }
  deps.ledger.recordApplied(c.username, { fingerprint: c.fingerprint, emailDate: c.date.toISOString(), messageId: c.messageId, storedAt: new Date().toISOString() });
  deps.log.info('token stored', { ...fields, store: deps.store.description, verified: deps.verifier !== null });
  return { outcome: 'stored', ...base, ...trusted, verified: deps.verifier !== null, note: `${note}; written to ${deps.store.description}` };
}

/**
 * The ledger as selection sees it: a rejection counts only while the credential it was made
 * with is still the one configured, so fixing a stale password gives the token one more try.
 */
function ledgerView(deps: PipelineDeps): LedgerView {
  return {
    applied: (username) => deps.ledger.applied(username),
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
  const examined = await mapLimit(messages, EXAMINE_CONCURRENCY, (m) => examine(m, deps).catch((err: unknown) => unexpected(m, err, deps)));
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
      record = { outcome: chosen.decision, reason: chosen.reason, ...baseRecord(c.message, c.date, c.messageId), username: c.username, fingerprint: c.fingerprint };
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

