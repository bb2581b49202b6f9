import type { FetchMessageObject, ImapFlow, SearchObject } from 'imapflow';
import { isSalesforceDomain, normalizeSubject } from '../../mail/classify.js';
import { isTokenSubject, subjectSearchTerms } from '../../mail/locales.js';
import { TooLarge, type RawMessage } from '../../pipeline/types.js';
import { canBeTrusted } from '../../trust/policy.js';
import { within } from './deadline.js';

// Dovecot refuses very long command lines ("Too long argument"): UID sets go in chunks.
const UIDS_PER_FETCH = 500;
export const HANDLED_KEYWORD = 'SftokenHandled';

export interface SearchScope {
  mailbox: string;
  uidValidity: string;
  /** Only messages received since then (ingest, a first watch start, a UIDVALIDITY change). */
  since: Date | null;
  /** Only UIDs above this one (watch, catching up). */
  afterUid: number;
  /** Senders whose hand forwards may be trusted: their mail is a candidate too. */
  forwarders: readonly string[];
  /** With --after flag, messages already settled carry the keyword and need no second look. */
  skipHandled: boolean;
  /** The keyword of a token email refused under the current settings (marks.ts). */
  refused: string;
  maxMessageBytes: number;
}

/** "1:3,7,9:10": a compact UID set for one command. */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The plausibility rule below, said to the server: a token subject in a known language, a
 * support@ sender at a Salesforce domain (FROM and HEADER From both match substrings), or a
 * listed forwarder. Asking for all of salesforce.com instead would list every Apex and notice
 * email, and their envelopes alone outweigh the token emails a thousandfold.
 */
export function serverQuery(scope: SearchScope): SearchObject {
  const or: SearchObject[] = [...subjectSearchTerms().map((subject) => ({ subject })), { from: 'support@', header: { from: 'salesforce.com' } }, ...scope.forwarders.map((f) => ({ from: f }))];
  return {
    ...(scope.since ? { since: scope.since } : {}),
    ...(scope.afterUid > 0 ? { uid: `${scope.afterUid + 1}:*` } : {}),
    ...(scope.skipHandled ? { unKeyword: HANDLED_KEYWORD } : {}),
    or,
  };
}

/**
 * From the envelope alone: could this be a token email? A token subject in a known language,
 * Salesforce's support sender (localized token emails come from support@, other system mail
 * from noreply@ and info@), or a listed forwarder. Only these are downloaded.
 */
export function plausible(envelope: FetchMessageObject['envelope'], forwarders: readonly string[]): boolean {
  const subject = normalizeSubject(envelope?.subject ?? '');
  if (isTokenSubject(subject)) return true;
  const from = senderOf(envelope);
  if (forwarders.includes(from)) return true;
  return isSalesforceDomain(from) && from.startsWith('support@');
}

function senderOf(envelope: FetchMessageObject['envelope']): string {
  return envelope?.from?.[0]?.address?.toLowerCase() ?? '';
}

interface SearchResult {
  messages: RawMessage[];
  /** The highest UID the search saw, whether or not it was a candidate: the new high-water mark. */
  highestUid: number;
}

/** Whether imapflow dropped the connection because a literal passed maxLiteralSize. */
function literalTooLarge(err: unknown): boolean {
  return err !== null && typeof err === 'object' && 'code' in err && err.code === 'LiteralTooLarge';
}

/**
 * Finds the token-email candidates in the open mailbox in three steps: a server-side SEARCH,
 * envelopes for what it matched, and full source only for the plausible ones, so a mailbox full
 * of Salesforce notices costs a few KiB. A sender no policy can trust is judged by the header
 * section alone (classify and the policy read nothing else of it), so a stranger's 2 MiB spam
 * costs its headers. A source is fetched when the pipeline reads it, one message at a time, so
 * a catch-up over many large candidates holds few of them at once.
 * Messages over the size cap are listed but never downloaded; a server that reported a small
 * size and sends a larger literal is cut off at the cap, and that message is refused.
 */
export async function findCandidates(client: ImapFlow, scope: SearchScope): Promise<SearchResult> {
  const found = (await within(client, 'SEARCH', () => client.search(serverQuery(scope), { uid: true }))) || [];
  const uids = found.filter((u) => u > scope.afterUid);
  const highestUid = uids.reduce((a, b) => Math.max(a, b), scope.afterUid);
  const candidates: Array<{ uid: number; size: number; internalDate: Date | null; headersOnly: boolean; refused: boolean }> = [];
  for (const part of chunks(uids, UIDS_PER_FETCH)) {
    await within(client, 'FETCH of envelopes', async () => {
      for await (const m of client.fetch(uidSet(part), { uid: true, envelope: true, size: true, internalDate: true, flags: true }, { uid: true })) {
        const received = m.internalDate ? new Date(m.internalDate) : null;
        if (scope.since && received && received < scope.since) continue;
        if (plausible(m.envelope, scope.forwarders))
          candidates.push({
            uid: m.uid,
            size: m.size ?? 0,
            internalDate: received,
            headersOnly: !canBeTrusted(senderOf(m.envelope), scope.forwarders),
            refused: m.flags?.has(scope.refused) ?? false,
          });
      }
    });
  }
  const messages = candidates.map((c): RawMessage => ({
    source: `imap:${scope.mailbox}/${scope.uidValidity}/${c.uid}`,
    receivedAt: c.internalDate,
    sequence: c.uid,
    size: c.size,
    ...(c.refused ? { refusedHere: true } : {}),
    load: async () => {
      let fetched: FetchMessageObject | false;
      try {
        fetched = await within(client, `FETCH of message ${c.uid}`, () => client.fetchOne(String(c.uid), c.headersOnly ? { uid: true, headers: true } : { uid: true, source: true }, { uid: true }));
      } catch (err) {
        if (literalTooLarge(err)) throw new TooLarge(`the server sent more than ${scope.maxMessageBytes} bytes for a message it said was ${c.size}`);
        throw err;
      }
      const bytes = fetched ? (c.headersOnly ? fetched.headers : fetched.source) : undefined;
      if (!bytes) throw Object.assign(new Error(`message ${c.uid} vanished before it could be read`), { code: 'EGONE' });
      return bytes;
    },
  }));
  return { messages, highestUid };
}
