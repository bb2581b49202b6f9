import type { Config } from '../config/index.js';
import { adviceFor } from '../pipeline/outcomes.js';
import { heldFiles } from '../sources/held.js';
import { Ledger, type LedgerSnapshot } from '../state/ledger.js';
import type { Io } from './io.js';
import { accountReadiness, type AccountReadiness } from './readiness.js';

interface UserStatus {
  kind: 'user';
  username: string;
  fingerprint: string | null;
  storedAt: string | null;
  emailDate: string | null;
  verified: boolean | null;
  destinations: string[];
  /** A token that passed its login but is not yet in every destination. */
  pending: { fingerprint: string; since: string; destinationsDone: string[] } | null;
  lastRefusal: { fingerprint: string; reason: string; at: string; todo: string } | null;
  failedLoginsLastHour: number;
}

interface HeldStatus {
  kind: 'held';
  folder: string;
  count: number;
  oldest: string | null;
  /** How many were refused for each reason (those the ledger no longer knows count as unknown). */
  reasons: Record<string, number>;
}

interface MailboxStatus {
  kind: 'mailbox';
  mailbox: string;
  key: string;
  uidValidity: string;
  lastUid: number;
  lastContact: string | null;
}

/** The state file as `status` tells it: per user, then per mailbox. */
function describeState(data: LedgerSnapshot, now: Date): Array<UserStatus | MailboxStatus> {
  const usernames = new Set([...Object.keys(data.applied), ...Object.values(data.rejected).map((r) => r.username), ...Object.values(data.verified).map((v) => v.username)]);
  const users = [...usernames].sort().map((username): UserStatus => {
    const applied = data.applied[username];
    const refusals = Object.entries(data.rejected)
      .filter(([, r]) => r.username === username)
      .sort((a, b) => b[1].at.localeCompare(a[1].at));
    const [latest] = refusals;
    const newerThanApplied = latest && (!applied || latest[1].at > applied.storedAt);
    const pending = Object.entries(data.verified).find(([fp, v]) => v.username === username && fp !== applied?.fingerprint);
    return {
      kind: 'user',
      username,
      fingerprint: applied?.fingerprint ?? null,
      storedAt: applied?.storedAt ?? null,
      emailDate: applied?.emailDate ?? null,
      verified: applied?.verified ?? null,
      destinations: applied?.destinations ?? [],
      pending: pending ? { fingerprint: pending[0], since: pending[1].at, destinationsDone: [...(Object.entries(data.delivered).find(([fp]) => fp === pending[0])?.[1] ?? [])] } : null,
      lastRefusal: latest && newerThanApplied ? { fingerprint: latest[0], reason: latest[1].reason, at: latest[1].at, todo: adviceFor(latest[1].reason) } : null,
      failedLoginsLastHour: (data.failedLogins[username] ?? []).filter((t) => now.getTime() - new Date(t).getTime() < 3_600_000).length,
    };
  });
  const mailboxes = Object.entries(data.mailboxes).map(([key, m]): MailboxStatus => ({
    kind: 'mailbox',
    mailbox: m.name ?? key,
    key,
    uidValidity: m.uidValidity,
    lastUid: m.lastUid,
    lastContact: m.lastContact ?? null,
  }));
  return [...users, ...mailboxes];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The held folder as it is now, with the reasons the ledger kept for its messages. */
function describeHeld(folder: string, data: LedgerSnapshot): HeldStatus {
  const files = heldFiles(folder);
  const reasons: Record<string, number> = {};
  for (const f of files) {
    const reason = data.held[f.name]?.reason ?? 'unknown';
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return { kind: 'held', folder, count: files.length, oldest: files[0]?.heldAt.toISOString() ?? null, reasons };
}

function accountReadinessItems(config: Config, snapshot: LedgerSnapshot, now: Date): AccountReadiness[] {
  return config.accountOutlines.map((a) => accountReadiness(a, config.loginPathEnds, snapshot.loginPaths[a.username], now));
}

/** `sftoken status`: what the state file knows, for a person or (--json) a script. No network. */
export async function showStatus(config: Config, io: Io): Promise<number> {
  const ledger = await Ledger.open(config.statePath);
  const snapshot = ledger.snapshot();
  const now = new Date();
  const items = describeState(snapshot, now);
  const held = describeHeld(config.heldPath, snapshot);
  if (config.json) {
    const tokens = Object.entries(snapshot.refresh).map(([username, s]) => ({ kind: 'access-token', username, ...s }));
    const all: object[] = [...items, ...accountReadinessItems(config, snapshot, now), ...tokens, ...(held.count ? [held] : [])];
    io.stdout(all.map((item) => JSON.stringify(item)).join('\n') + (all.length ? '\n' : ''));
    return 0;
  }
  const accounts = accountReadinessItems(config, snapshot, now);
  const users = items.filter((i): i is UserStatus => i.kind === 'user');
  const mailboxes = items.filter((i): i is MailboxStatus => i.kind === 'mailbox');
  const out: string[] = [];
  if (users.length === 0) out.push(`No token handled yet (state file ${config.statePath}).`);
  else {
    out.push(
      table([
        ['USER', 'TOKEN', 'STORED', 'VERIFIED', 'WHERE'],
        ...users.map((u) => [u.username, u.fingerprint ?? '-', u.storedAt ?? '-', u.verified === null ? '-' : u.verified ? 'yes' : 'no', u.destinations.join(', ') || '-']),
      ]),
    );
    for (const u of users) {
      if (u.pending)
        out.push(
          `${u.username}: token ${u.pending.fingerprint} passed its login on ${u.pending.since} but is not yet in every destination (done: ${u.pending.destinationsDone.join(', ') || 'none'}); retried without another login`,
        );
      if (u.lastRefusal) out.push(`${u.username}: token ${u.lastRefusal.fingerprint} refused on ${u.lastRefusal.at} (${u.lastRefusal.reason}): ${u.lastRefusal.todo}`);
    }
  }
  if (accounts.length) {
    out.push(
      '',
      table([['ACCOUNT', 'LOGIN PATH', 'LAST LOGIN', 'PATH ENDS', 'DAYS LEFT'], ...accounts.map((a) => [a.username, a.path, a.lastLoginText, a.endsOn, a.available ? String(a.daysLeft) : 'gone'])]),
    );
    for (const a of accounts) if (a.warning) out.push(`${a.username}: ${a.path}: ${a.warning}`);
  }
  const issued = Object.entries(snapshot.refresh);
  if (issued.length) {
    out.push(
      '',
      table([
        ['ACCESS TOKEN FOR', 'TOKEN', 'ISSUED', 'LAPSES', 'NEXT', 'FAILURES'],
        ...issued.map(([u, s]) => [
          u,
          s.current?.fingerprint ?? '-',
          s.current?.issuedAt ?? '-',
          s.current?.expiresAt ?? '-',
          s.nextAttemptAt ?? '-',
          s.failures ? `${s.failures} (${s.lastError ?? '?'})` : '0',
        ]),
      ]),
    );
    for (const [u, s] of issued)
      if (s.current && Date.parse(s.current.expiresAt) <= now.getTime()) out.push(`${u}: the access token lapsed at ${s.current.expiresAt}; integrations reading it fail until a refresh succeeds`);
  }
  if (mailboxes.length) out.push('', table([['MAILBOX', 'LAST UID', 'LAST CONTACT'], ...mailboxes.map((m) => [m.mailbox, String(m.lastUid), m.lastContact ?? '-'])]));
  if (held.count) {
    const why = Object.entries(held.reasons)
      .map(([reason, n]) => `${reason} ×${n}`)
      .join(', ');
    out.push(
      '',
      `HELD: ${held.count} refused token email${held.count === 1 ? '' : 's'} in ${held.folder} (oldest ${held.oldest ?? '?'}): ${why}. Look at them; after a fix, sftoken replay ${held.folder}`,
    );
  }
  io.stdout(out.join('\n') + '\n');
  return 0;
}
