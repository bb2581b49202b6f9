import { classify, classifyHead, hasTokenStructure } from '../mail/classify.js';
import { extractToken, hasLabelledToken } from '../mail/extract.js';
import { htmlToText } from '../mail/html.js';
import { parseEmail, parseHead, withoutBom } from '../mail/parse.js';
import { implausible, orderTime, repeatedSingleton, topReceived } from '../mail/order-time.js';
import type { ParsedEmail } from '../mail/types.js';
import { describe, errnoCode } from '../util/errors.js';
import { fingerprint } from '../util/fingerprint.js';
import { meaning, outcomeOf, type Reason, type ReasonOf, type TrustedVia } from './outcomes.js';
import type { Contender } from './select.js';
import type { RefusedMessage } from '../state/ledger.js';
import { TooLarge, type MessageRecord, type PipelineDeps, type RawMessage } from './types.js';

const OPAQUE_SMIME = /^content-type:\s*application\/(?:x-)?pkcs7-mime/i;

/** A trusted token email with a token for a known user: what select and apply work on. */
export interface TokenCandidate extends Contender {
  message: RawMessage;
  token: string;
  messageId: string | null;
  trustedVia: TrustedVia;
}

/** A refusal to remember (entry) or to forget (null: the email now reads well), under the key its message is known by. */
export interface RefusalChange {
  key: string;
  entry: RefusedMessage | null;
}

/** What examine decided about one message; `refusal` is for processBatch to record. */
export type Examined =
  | { kind: 'done'; message: RawMessage; record: MessageRecord; sortDate: Date | null; tokenEmail: boolean; refusal?: RefusalChange }
  | { kind: 'candidate'; candidate: TokenCandidate; refusal?: RefusalChange };

export function baseRecord(message: RawMessage, date: Date | null, messageId: string | null): Pick<MessageRecord, 'source' | 'date' | 'messageId'> {
  return { source: message.source, ...(date ? { date: date.toISOString() } : {}), ...(messageId ? { messageId } : {}) };
}

/**
 * Everything up to select: it reads the message and asks the trust policy, and writes nothing;
 * a refusal to remember comes back with the result.
 */
export async function examine(message: RawMessage, deps: PipelineDeps): Promise<Examined> {
  let tokenEmail = false;
  const done = (reason: Reason, date: Date | null = message.receivedAt, messageId: string | null = null, extra: Partial<MessageRecord> = {}): Examined => ({
    kind: 'done',
    message,
    tokenEmail,
    sortDate: date,
    record: { outcome: outcomeOf(reason), reason, ...baseRecord(message, date, messageId), ...extra },
  });
  const remember = (key: string, reason: RefusedMessage['reason']): RefusalChange => ({ key, entry: { reason, trust: deps.trustFingerprint, at: new Date().toISOString() } });
  // A refusal says what a person can do about it, and is remembered under the message's key, so
  // that the same message is reported as refused before rather than judged again.
  const refuse = (reason: ReasonOf<'rejected'>, key: string, date: Date | null, messageId: string | null): Examined => ({
    ...done(reason, date, messageId, { note: meaning('rejected', reason).advice }),
    refusal: remember(key, reason),
  });
  if (message.size !== null && message.size > deps.maxMessageBytes) return done('too-large');
  // A message found too large only while reading it is known by where it is, not by its ID.
  const cutOff = deps.ledger.refusal(message.source);
  if (cutOff?.reason === 'too-large') return done('already-rejected', message.receivedAt, null, { note: 'refused before: too-large' });
  let raw: Buffer;
  try {
    raw = withoutBom(await message.load());
  } catch (err) {
    if (err instanceof TooLarge) {
      deps.log.warn('message larger than it said: refused unread', { source: message.source, error: err.message });
      return { ...done('too-large'), refusal: remember(message.source, 'too-large') };
    }
    deps.log.warn('cannot read message', { source: message.source, error: describe(err) });
    return done(`read-error:${errnoCode(err) ?? 'unknown'}`);
  }
  const started = performance.now();
  const overBudget = (): boolean => performance.now() - started > deps.messageBudgetMs;
  const tooComplex = (date: Date | null, messageId: string | null): Examined => {
    deps.log.warn('message took too long to read: refused and left in place', { source: message.source, budgetMs: deps.messageBudgetMs });
    return refuse('too-complex', messageId ?? message.source, date, messageId);
  };
  // The headers first: a stranger's mail is classified and judged by them, its body never parsed.
  const parsedHead = await parseHead(raw, deps.maxMessageBytes);
  if (!parsedHead.ok) return done(parsedHead.reason);
  const { head } = parsedHead;
  const date = head.date ?? message.receivedAt;
  // Another copy (a replica, a run with no state) refused it under these same settings.
  if (message.refusedHere) return done('already-rejected', date, head.messageId, { note: 'refused before (marked in its mailbox)' });
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
    return refuse(trust.reason, key, date, head.messageId);
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
  // Trusted mail from Salesforce's token-notice sender that carries a labelled token-shaped value
  // is a token email even when the rest cannot be read: it is then refused where a person sees
  // it, never ignored.
  const looksLikeOne = (text: string): boolean => hasTokenStructure(text) || hasLabelledToken(text);
  if (!tokenEmail && !looksLikeOne(email.text)) {
    const alternative = html();
    if (alternative === null || !looksLikeOne(alternative)) return done('not-token-email', date, email.messageId);
  }
  tokenEmail = true;
  // Before anything is read out of it: what orders this token among others must be the sender's.
  const repeated = repeatedSingleton(email);
  if (repeated) return refuse(`repeated-header:${repeated}`, key, date, email.messageId);
  const now = new Date();
  const signedAt = trust.signedAt ?? null;
  const wrongDate = implausible(email.date, now) ?? implausible(signedAt, now);
  if (wrongDate) return refuse(`implausible-date:${wrongDate}`, key, date, email.messageId);
  if (overBudget()) return tooComplex(date, email.messageId);
  // Opaque S/MIME (signed-data or enveloped-data) carries the text inside a PKCS#7 blob: say so,
  // rather than that no token was found.
  if (OPAQUE_SMIME.test(email.headerLines.find((h) => h.key === 'content-type')?.line ?? '')) {
    return refuse('smime-opaque', key, date, email.messageId);
  }
  const fromText = extractToken(email.text);
  const alternative = fromText.ok ? null : html();
  const extracted = alternative !== null ? bestOf(fromText, extractToken(alternative)) : fromText;
  const identity = extracted.ok ? { username: extracted.value.username, fingerprint: fingerprint(extracted.value.token) } : {};
  deps.log.info('token email trusted', { source: message.source, via: trust.via, ...identity });
  if (!extracted.ok) {
    return refuse(extracted.reason, key, date, email.messageId);
  }
  // A refusal made under other trust settings is forgotten once the email reads well.
  const forgotten: Pick<Examined, 'refusal'> = refused ? { refusal: { key, entry: null } } : {};
  const { username, token } = extracted.value;
  const receivedHeader = topReceived(email);
  if (deps.knownUser && !deps.knownUser(username)) return { ...done('unknown-user', date, email.messageId, identity), ...forgotten };
  return {
    ...forgotten,
    kind: 'candidate',
    candidate: {
      message,
      username,
      token,
      fingerprint: fingerprint(token),
      date: date ?? new Date(0),
      orderTime: orderTime({ signedAt, date: email.date, receivedAt: message.receivedAt, receivedHeader }, now),
      receivedHeader,
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
