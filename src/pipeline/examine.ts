import { classify, classifyHead, hasTokenStructure } from '../mail/classify.js';
import { extractToken } from '../mail/extract.js';
import { htmlToText } from '../mail/html.js';
import { parseEmail, parseHead } from '../mail/parse.js';
import type { ParsedEmail } from '../mail/types.js';
import { describe, errnoCode } from '../util/errors.js';
import { fingerprint } from '../util/fingerprint.js';
import { registerSecret } from '../util/redact.js';
import { meaning, outcomeOf, type Reason, type ReasonOf, type TrustedVia } from './outcomes.js';
import type { Contender } from './select.js';
import { TooLarge, type MessageRecord, type PipelineDeps, type RawMessage } from './types.js';

/** A trusted token email with a token for a known user: what select and apply work on. */
export interface TokenCandidate extends Contender {
  message: RawMessage;
  token: string;
  messageId: string | null;
  trustedVia: TrustedVia;
}

export type Examined = { kind: 'done'; message: RawMessage; record: MessageRecord; sortDate: Date | null; tokenEmail: boolean } | { kind: 'candidate'; candidate: TokenCandidate };

export function baseRecord(message: RawMessage, date: Date | null, messageId: string | null): Pick<MessageRecord, 'source' | 'date' | 'messageId'> {
  return { source: message.source, ...(date ? { date: date.toISOString() } : {}), ...(messageId ? { messageId } : {}) };
}

/** Everything up to select: pure but for reading the message and asking the trust policy. */
export async function examine(message: RawMessage, deps: PipelineDeps): Promise<Examined> {
  let tokenEmail = false;
  const done = (reason: Reason, date: Date | null = message.receivedAt, messageId: string | null = null, extra: Partial<MessageRecord> = {}): Examined => ({
    kind: 'done',
    message,
    tokenEmail,
    sortDate: date,
    record: { outcome: outcomeOf(reason), reason, ...baseRecord(message, date, messageId), ...extra },
  });
  // A refusal says what a person can do about it.
  const refuse = (reason: ReasonOf<'rejected'>, date: Date | null, messageId: string | null, extra: Partial<MessageRecord> = {}): Examined =>
    done(reason, date, messageId, { note: meaning('rejected', reason).advice, ...extra });
  if (message.size !== null && message.size > deps.maxMessageBytes) return done('too-large');
  // A message found too large only while reading it is known by where it is, not by its ID.
  const cutOff = deps.ledger.refusal(message.source);
  if (cutOff?.reason === 'too-large') return done('already-rejected', message.receivedAt, null, { note: 'refused before: too-large' });
  let raw: Buffer;
  try {
    raw = await message.load();
  } catch (err) {
    if (err instanceof TooLarge) {
      deps.log.warn('message larger than it said: refused unread', { source: message.source, error: err.message });
      deps.ledger.recordRefused(message.source, { reason: 'too-large', trust: deps.trustFingerprint, at: new Date().toISOString() });
      return done('too-large');
    }
    deps.log.warn('cannot read message', { source: message.source, error: describe(err) });
    return done(`read-error:${errnoCode(err) ?? 'unknown'}`);
  }
  const started = performance.now();
  const overBudget = (): boolean => performance.now() - started > deps.messageBudgetMs;
  const tooComplex = (date: Date | null, messageId: string | null): Examined => {
    deps.log.warn('message took too long to read: refused and left in place', { source: message.source, budgetMs: deps.messageBudgetMs });
    deps.ledger.recordRefused(messageId ?? message.source, { reason: 'too-complex', trust: deps.trustFingerprint, at: new Date().toISOString() });
    return refuse('too-complex', date, messageId);
  };
  // The headers first: a stranger's mail is classified and judged by them, its body never parsed.
  const parsedHead = await parseHead(raw, deps.maxMessageBytes);
  if (!parsedHead.ok) return done(parsedHead.reason);
  const { head } = parsedHead;
  const date = head.date ?? message.receivedAt;
  let email: ParsedEmail | null = null;
  const parseBody = async (): Promise<ParsedEmail | Examined> => {
    const parsed = await parseEmail(raw, deps.maxMessageBytes);
    return parsed.ok ? parsed.email : done(parsed.reason, date, head.messageId);
  };
  let classification = classifyHead(head);
  if (!classification) {
    const body = await parseBody();
    if ('kind' in body) return body;
    email = body;
    classification = classify(email);
  }
  if (classification.kind === 'other') return done('not-token-email', date, head.messageId);
  tokenEmail = classification.kind === 'token';

  // A refusal is final under the trust settings that made it: reported as such, not as new.
  const key = head.messageId ?? message.source;
  const refused = deps.ledger.refusal(key);
  if (refused?.trust === deps.trustFingerprint) return done('already-rejected', date, head.messageId, { note: `refused before: ${refused.reason}` });
  // Trust before anything is read out of the body: a stranger's mail never reaches the extractor,
  // and an untrusted email never leads to a login.
  if (overBudget()) return tooComplex(date, head.messageId);
  const trust = await deps.trust({ email: head, raw });
  if (trust.kind === 'transient') return done(trust.reason, date, head.messageId);
  if (trust.kind === 'untrusted') {
    // Mail from a Salesforce address in an unknown language is a token email only by its
    // structure, which an untrusted body does not get read for: it is simply not one.
    if (!tokenEmail) return done('not-token-email', date, head.messageId);
    deps.log.warn('token email not trusted', { source: message.source, reason: trust.reason, from: head.from?.address ?? null });
    deps.ledger.recordRefused(key, { reason: trust.reason, trust: deps.trustFingerprint, at: new Date().toISOString() });
    return refuse(trust.reason, date, head.messageId);
  }
  if (!email) {
    const body = await parseBody();
    if ('kind' in body) return body;
    email = body;
  }
  if (overBudget()) return tooComplex(date, email.messageId);
  // The HTML part is rendered only when the text part does not do: rendering costs more than parsing.
  let rendered: string | null | undefined;
  const html = (): string | null => (rendered ??= email.html === null ? null : htmlToText(email.html));
  if (!tokenEmail && !hasTokenStructure(email.text)) {
    const alternative = html();
    if (alternative === null || !hasTokenStructure(alternative)) return done('not-token-email', date, email.messageId);
  }
  tokenEmail = true;
  if (overBudget()) return tooComplex(date, email.messageId);
  const fromText = extractToken(email.text);
  const alternative = fromText.ok ? null : html();
  const extracted = alternative !== null ? bestOf(fromText, extractToken(alternative)) : fromText;
  const identity = extracted.ok ? { username: extracted.value.username, fingerprint: fingerprint(extracted.value.token) } : {};
  if (extracted.ok) registerSecret(extracted.value.token);
  deps.log.info('token email trusted', { source: message.source, via: trust.via, ...identity });
  if (!extracted.ok) {
    deps.ledger.recordRefused(key, { reason: extracted.reason, trust: deps.trustFingerprint, at: new Date().toISOString() });
    return refuse(extracted.reason, date, email.messageId);
  }
  if (refused) deps.ledger.recordRefused(key, null);
  const { username, token } = extracted.value;
  if (deps.knownUser && !deps.knownUser(username)) return done('unknown-user', date, email.messageId, identity);
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
export function unexpected(message: RawMessage, err: unknown, deps: PipelineDeps): Examined {
  deps.log.error('unexpected error while examining a message', { source: message.source, error: describe(err).split('\n')[0] });
  return { kind: 'done', message, tokenEmail: false, sortDate: message.receivedAt, record: { outcome: 'failed', reason: 'internal-error', source: message.source } };
}

/** The HTML part's reading when it found the token; otherwise the text part's reason stands. */
function bestOf(text: ReturnType<typeof extractToken>, html: ReturnType<typeof extractToken>): ReturnType<typeof extractToken> {
  return html.ok ? html : text;
}
