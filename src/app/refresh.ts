import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IssuedAccount } from '../config/issued-accounts.js';
import { jsforceIssuer, type Issuer } from '../credentials/issue.js';
import { due, refreshAccount, type RefreshDeps } from '../credentials/refresh.js';
import { exitCodeFor } from '../pipeline/outcomes.js';
import type { MessageRecord } from '../pipeline/types.js';
import { UsageError } from '../util/errors.js';
import { daysLeft, dueNotice } from '../verify/login-paths.js';
import { print } from './batch.js';
import type { RunContext } from './context.js';

/** What a refresh needs of the run; the issuer is jsforce unless a test gives another. */
export function refreshDeps(ctx: RunContext, issuer: Issuer = jsforceIssuer): RefreshDeps {
  const destinations = ctx.deps.destinations;
  if (!destinations) throw new UsageError('--dry-run: nothing is issued or written');
  return { issuer, destinations, ledger: ctx.refresh, checkpoint: ctx.checkpoint, log: ctx.log, secrets: ctx.config.secrets, timeoutMs: ctx.config.login.timeoutMs };
}

/** Every issued account whose next token is due at `now`, refreshed in turn; their records. */
export async function refreshDue(ctx: RunContext, deps: RefreshDeps, now: Date, only: string | null = null): Promise<MessageRecord[]> {
  const records: MessageRecord[] = [];
  for (const account of ctx.config.issuedAccounts.filter((a) => !only || a.username === only)) {
    const state = ctx.refresh.refreshState(account.username);
    if (!due(state, now)) {
      ctx.log.debug('access token not due', { username: account.username, next: state.nextAttemptAt ?? null });
      continue;
    }
    records.push(await refreshAccount(account, deps, now));
  }
  if (records.length) {
    print(ctx, records);
    ctx.notifier?.handled(records);
  }
  return records;
}

/** When an account's certificate (jwt, `certificate`) expires; null without one. */
export function certificateExpiry(account: IssuedAccount): Date | null {
  if (account.grant.kind !== 'jwt' || !account.grant.certificate) return null;
  try {
    return new Date(new X509Certificate(readFileSync(account.grant.certificate)).validTo);
  } catch {
    return null;
  }
}

const CERTIFICATE_NOTICE_DAYS = [30, 7];

/** Each account's certificate expiry, read once (a watcher asks on every tick and every /metrics). */
export function certificateExpiries(accounts: readonly IssuedAccount[]): ReadonlyMap<string, Date | null> {
  return new Map(accounts.map((a) => [a.username, certificateExpiry(a)]));
}

/** A notice 30 and 7 days before a JWT account's certificate expires, each once. */
export async function tellCertificateExpiry(ctx: RunContext, now: Date, expiries = certificateExpiries(ctx.config.issuedAccounts)): Promise<void> {
  let told = false;
  for (const account of ctx.config.issuedAccounts) {
    const expiry = expiries.get(account.username);
    if (!expiry) continue;
    const days = daysLeft(expiry, now);
    // The expiry is part of the key: a new certificate is told anew.
    const key = (threshold: number) => `certificate-expiry:${account.username}:${expiry.toISOString()}:${threshold}`;
    const due = dueNotice(
      days,
      CERTIFICATE_NOTICE_DAYS.filter((t) => ctx.notices.noticeTold(key(t)) !== undefined),
      CERTIFICATE_NOTICE_DAYS,
    );
    if (due === null) continue;
    const when = expiry.toISOString().slice(0, 10);
    ctx.log.warn('certificate expires soon', { username: account.username, expires: when, daysLeft: days });
    ctx.notifier?.notice({
      headline: `the certificate for ${account.username}'s JWT expires ${days > 0 ? `in ${days} day${days === 1 ? '' : 's'} (${when})` : `on ${when}`}`,
      username: account.username,
      reason: 'certificate-expiry',
      note: 'make a new key and certificate, upload the certificate to the External Client App, and point privateKey and certificate at them before then',
      source: 'sftoken',
    });
    ctx.notices.recordNotice(key(due), now.toISOString());
    told = true;
  }
  if (told) await ctx.checkpoint();
}

/** `sftoken refresh`: one round for cron or a systemd timer; the exit code. */
export async function refreshOnce(ctx: RunContext, only: string | null): Promise<number> {
  const now = new Date();
  await tellCertificateExpiry(ctx, now);
  const records = await refreshDue(ctx, refreshDeps(ctx), now, only);
  if (records.length === 0) ctx.io.stderr(`sftoken: no access token is due${only ? ` for ${only}` : ''}; the next one is due at ${nextDue(ctx, only) ?? 'the next run'}\n`);
  await ctx.notifier?.flush();
  return exitCodeFor(records);
}

function nextDue(ctx: RunContext, only: string | null): string | null {
  const times = ctx.config.issuedAccounts
    .filter((a) => !only || a.username === only)
    .map((a) => ctx.refresh.refreshState(a.username).nextAttemptAt)
    .filter((t): t is string => typeof t === 'string')
    .sort();
  return times[0] ?? null;
}
