import type { IssuedAccount } from '../config/issued-accounts.js';
import { outcomeOf, type Reason } from '../pipeline/outcomes.js';
import type { MessageRecord, OpenDestination } from '../pipeline/types.js';
import type { RefreshMarks, RefreshState } from '../state/ledger.js';
import type { AccessCredential } from '../stores/types.js';
import { backoffMs } from '../util/backoff.js';
import { NewerHeld, UsageError, describe } from '../util/errors.js';
import { fingerprint } from '../util/fingerprint.js';
import type { Logger } from '../util/log.js';
import type { Redactor } from '../util/redact.js';
import { classifyIssueError, issueAdvice, type Issuer } from './issue.js';

// Never more than one request a minute per account, whatever asks (a watch tick, a cron run).
export const MIN_REQUEST_INTERVAL_MS = 60_000;
// A failing account is asked again with backoff from a minute up to half an hour.
const FAILURE_BACKOFF_CAP_MS = 30 * 60_000;

/** What one refresh needs from the run. */
export interface RefreshDeps {
  issuer: Issuer;
  destinations: (username: string) => readonly OpenDestination[];
  ledger: RefreshMarks;
  /** Makes the ledger durable: before a request (record before act) and after it. */
  checkpoint: () => Promise<void>;
  log: Logger;
  /** The run's secrets: an access token joins them the moment it arrives. */
  secrets: Redactor;
  timeoutMs: number;
}

/** Whether the account's next token is due at `now` (never before a minute since the last request). */
export function due(state: RefreshState, now: Date): boolean {
  if (state.lastAttemptAt && now.getTime() - Date.parse(state.lastAttemptAt) < MIN_REQUEST_INTERVAL_MS) return false;
  return !state.nextAttemptAt || Date.parse(state.nextAttemptAt) <= now.getTime();
}

/**
 * One refresh of one account: a single request to the token endpoint, the new access token written
 * to every destination, the ledger told (fingerprints and times only). A failure leaves every
 * destination with the token it holds and schedules the next request with backoff; the record
 * says what happened, in the output contract's shape (DESIGN §2).
 */
export async function refreshAccount(account: IssuedAccount, deps: RefreshDeps, now: Date): Promise<MessageRecord> {
  const { username } = account;
  const source = `token-endpoint:${username}`;
  const before = deps.ledger.refreshState(username);
  // Recorded before the request: a crash right after it still counts toward the one a minute.
  deps.ledger.recordRefresh(username, { ...before, lastAttemptAt: now.toISOString() });
  await deps.checkpoint();
  const failed = async (reason: Reason, error: string, note: string): Promise<MessageRecord> => {
    const failures = before.failures + 1;
    const wait = Math.max(MIN_REQUEST_INTERVAL_MS, backoffMs(failures - 1, MIN_REQUEST_INTERVAL_MS, FAILURE_BACKOFF_CAP_MS));
    deps.ledger.recordRefresh(username, { ...before, lastAttemptAt: now.toISOString(), failures, lastError: error, nextAttemptAt: new Date(now.getTime() + wait).toISOString() });
    await deps.checkpoint();
    deps.log.warn('access token not renewed; the destinations keep the current one', { username, reason, failures });
    return { outcome: outcomeOf(reason), reason, username, source, note };
  };
  let issued;
  try {
    issued = await deps.issuer(account, now, deps.timeoutMs);
  } catch (err) {
    const failure = classifyIssueError(err);
    deps.log.debug('token endpoint error', { username, error: describe(err).split('\n')[0]?.slice(0, 300) });
    if (failure.kind === 'refused') return failed(`grant-refused:${failure.detail}`, failure.code, `${failure.code}: ${issueAdvice(failure.detail)}`);
    return failed(`token-endpoint-unreachable:${failure.code}`, failure.code, 'the token endpoint did not answer; tried again with backoff');
  }
  deps.secrets.add(issued.accessToken);
  const credential: AccessCredential = {
    accessToken: issued.accessToken,
    instanceUrl: issued.instanceUrl,
    issuedAt: issued.issuedAt.toISOString(),
    expiresAt: new Date(issued.issuedAt.getTime() + account.sessionTimeoutMs).toISOString(),
    fingerprint: fingerprint(issued.accessToken),
  };
  const written: string[] = [];
  const problems: Array<{ description: string; error: string }> = [];
  for (const { spec, store } of deps.destinations(username)) {
    if (!store.setAccessToken) throw new UsageError(`--store ${spec} cannot hold an access token (for ${username})`);
    try {
      await store.setAccessToken(username, credential);
      written.push(spec);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      // Another writer put a newer token there: nothing to undo, and not a failure.
      if (err instanceof NewerHeld) written.push(spec);
      else problems.push({ description: store.description, error: describe(err) });
    }
  }
  const base = { username, fingerprint: credential.fingerprint, source, date: credential.issuedAt };
  if (problems.length) {
    // The request is spent; the next one comes at the minute, and writes every destination again.
    const retryAt = new Date(now.getTime() + MIN_REQUEST_INTERVAL_MS).toISOString();
    deps.ledger.recordRefresh(username, { ...before, lastAttemptAt: now.toISOString(), failures: before.failures + 1, lastError: 'store-unavailable', nextAttemptAt: retryAt });
    await deps.checkpoint();
    deps.log.error('access token not in every destination; asked again at the next minute', { username, fingerprint: credential.fingerprint });
    const reason: Reason = `store-unavailable:${problems[0]?.description ?? 'destination'}`;
    return { outcome: outcomeOf(reason), reason, ...base, note: problems.map((p) => `${p.description}: ${p.error}`).join('; ') };
  }
  const next = new Date(issued.issuedAt.getTime() + account.refreshEveryMs).toISOString();
  deps.ledger.recordRefresh(username, {
    current: { fingerprint: credential.fingerprint, issuedAt: credential.issuedAt, expiresAt: credential.expiresAt, instanceUrl: credential.instanceUrl, destinations: written },
    lastAttemptAt: now.toISOString(),
    nextAttemptAt: next,
    failures: 0,
  });
  await deps.checkpoint();
  deps.log.info('access token issued and stored', { username, fingerprint: credential.fingerprint, expiresAt: credential.expiresAt, nextRefresh: next });
  return {
    outcome: outcomeOf(`issued:${account.grant.kind}`),
    reason: `issued:${account.grant.kind}`,
    ...base,
    note: `access token for ${credential.instanceUrl}, taken to lapse at ${credential.expiresAt}; written to ${written.join(', ')}; next at ${next}`,
  };
}
