import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { within } from './deadline.js';
import { uidSet } from './search.js';

/**
 * What every copy of sftoken must know, kept where every copy sees it: on the messages in the
 * mailbox (DESIGN §2a, item 9). A refused token email carries the settings it was refused under,
 * so that no copy tries it again (a replica, a restart that lost its state) until a password or a
 * trust setting changes; a failed login is marked with its user and time, so that the hourly
 * budget is one budget across all of them.
 */
const REFUSED_PREFIX = '$SftokenRefused_';
/** On every message that cost a failed login: what a copy searches for at the start of a sweep. */
export const FAILED_LOGIN_KEYWORD = '$SftokenFailedLogin';
const FAILURE_PREFIX = '$SftokenFail_';
// Failed logins count for an hour: older marks are read past.
const FAILURE_LOOKBACK_MS = 60 * 60 * 1000;

export function refusedKeyword(settings: string): string {
  return `${REFUSED_PREFIX}${settings}`;
}

/** A user as a failure mark names them: a short hash, so that the mailbox does not list usernames. */
export function userTag(username: string): string {
  return createHash('sha256').update(username.toLowerCase()).digest('hex').slice(0, 10);
}

export function failureKeyword(username: string, at: Date): string {
  // Milliseconds: failed logins in one second are several failures, not one.
  return `${FAILURE_PREFIX}${at.getTime()}_${userTag(username)}`;
}

export function parseFailure(keyword: string): { at: Date; tag: string } | null {
  if (!keyword.startsWith(FAILURE_PREFIX)) return null;
  const [millis = '', tag = ''] = keyword.slice(FAILURE_PREFIX.length).split('_');
  const at = Number(millis);
  return Number.isFinite(at) && at > 0 && /^[0-9a-f]{10}$/.test(tag) ? { at: new Date(at), tag } : null;
}

/** The failed logins the mailbox remembers, per configured user. */
export async function readFailures(client: ImapFlow, usernames: readonly string[], now: Date): Promise<Map<string, Date[]>> {
  const byTag = new Map(usernames.map((u) => [userTag(u), u]));
  const found = new Map<string, Date[]>();
  if (byTag.size === 0) return found;
  // Not SINCE: that is the day a message arrived, and an old message may cost a login today.
  const uids = (await within(client, 'SEARCH', () => client.search({ keyword: FAILED_LOGIN_KEYWORD }, { uid: true }))) || [];
  if (uids.length === 0) return found;
  await within(client, 'FETCH of flags', async () => {
    for await (const m of client.fetch(uidSet(uids), { uid: true, flags: true }, { uid: true })) {
      for (const flag of m.flags ?? []) {
        const failure = parseFailure(flag);
        const username = failure ? byTag.get(failure.tag) : undefined;
        if (failure && username && now.getTime() - failure.at.getTime() < FAILURE_LOOKBACK_MS) found.set(username, [...(found.get(username) ?? []), failure.at]);
      }
    }
  });
  return found;
}

/** Marks each message with the failed logins it cost, for every copy to count. */
export async function markFailures(client: ImapFlow, marks: ReadonlyArray<{ uid: number; username: string; times: readonly string[] }>): Promise<void> {
  for (const { uid, username, times } of marks) {
    const keywords = [FAILED_LOGIN_KEYWORD, ...times.map((t) => failureKeyword(username, new Date(t)))];
    await within(client, 'STORE', () => client.messageFlagsAdd(String(uid), keywords, { uid: true }));
  }
}

/** Marks refused token emails with the settings they were refused under. */
export async function markRefused(client: ImapFlow, uids: readonly number[], settings: string): Promise<void> {
  if (uids.length) await within(client, 'STORE', () => client.messageFlagsAdd(uidSet(uids), [refusedKeyword(settings)], { uid: true }));
}
