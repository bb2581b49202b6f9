import { createServer, type IncomingMessage, type Server } from 'node:http';
import { OUTCOMES, codeOf, meaning, type Outcome } from '../pipeline/outcomes.js';
import type { MessageRecord } from '../pipeline/types.js';
import type { WatchEvents } from '../sources/imap/watcher.js';
import { isLoopback } from '../util/loopback.js';

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** What happened last to a user's token: what an alert on a refused or failed token reads. */
interface UserState {
  outcome: Outcome;
  reason: string | null;
  fingerprint: string | null;
  at: Date;
  lastStoredAt: Date | null;
}

/** One mailbox loop as /status and /metrics show it. */
interface MailboxState {
  connected: boolean;
  /** When a sweep (a search and what it found, handled) last succeeded. */
  lastSweep: Date | null;
  reconnects: number;
  outcomes: Map<Outcome, number>;
  /** Why messages did not go through, by reason code (`repeated-header`, `claim-lost`, …). */
  reasons: Map<string, number>;
}

/** An account's login path and when it ends, for the gauge; null: gone already (no login() at its API version). */
export interface PathEnd {
  username: string;
  path: string;
  endsAt: Date | null;
}

/** An issued account's access token as health and metrics see it (no token, only times). */
export interface AccessTokenHealth {
  username: string;
  issuedAt: Date | null;
  expiresAt: Date | null;
  nextRefresh: Date | null;
  failures: number;
  certificateExpiresAt: Date | null;
}

/** What the watcher knows about its own health, for the heartbeat, /healthz, /status and /metrics. */
export class Liveness implements WatchEvents {
  private readonly mailboxes = new Map<string, MailboxState>();
  private readonly users = new Map<string, UserState>();
  /** The issued accounts' tokens, read from the ledger when asked. */
  private tokens: () => readonly AccessTokenHealth[] = () => [];

  /**
   * `mailboxes` are every loop that must be running for the watcher to be healthy;
   * `notificationFailures` counts --notify messages that could not be delivered; `held` the
   * refused token emails waiting in the held folder for a person.
   */
  constructor(
    mailboxes: readonly string[],
    private readonly notificationFailures: () => number = () => 0,
    private readonly held: () => number = () => 0,
    private readonly pathEnds: readonly PathEnd[] = [],
  ) {
    for (const name of mailboxes) this.mailboxes.set(name, { connected: false, lastSweep: null, reconnects: 0, outcomes: new Map(), reasons: new Map() });
  }

  private box(name: string): MailboxState {
    let state = this.mailboxes.get(name);
    if (!state) this.mailboxes.set(name, (state = { connected: false, lastSweep: null, reconnects: 0, outcomes: new Map(), reasons: new Map() }));
    return state;
  }

  connected(mailbox: string): void {
    this.box(mailbox).connected = true;
  }

  swept(mailbox: string, at: Date = new Date()): void {
    this.box(mailbox).lastSweep = at;
  }

  reconnecting(mailbox: string): void {
    const state = this.box(mailbox);
    state.connected = false;
    state.reconnects++;
  }

  /**
   * Counts every record; a user's last outcome changes only on what decides about their token
   * now (stored, refused, failed), not on an older copy that was superseded or already applied.
   */
  handled(mailbox: string, records: readonly MessageRecord[], at: Date = new Date()): void {
    const { outcomes, reasons } = this.box(mailbox);
    for (const r of records) {
      outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
      // A stored token's reason is how it was trusted; every other one says why it did not go through.
      if (r.reason && !meaning(r.outcome, r.reason).delivered) {
        const code = codeOf(r.reason);
        reasons.set(code, (reasons.get(code) ?? 0) + 1);
      }
      if (!r.username || !meaning(r.outcome, r.reason).current) continue;
      const before = this.users.get(r.username);
      this.users.set(r.username, {
        outcome: r.outcome,
        reason: r.reason ?? null,
        fingerprint: r.fingerprint ?? null,
        at,
        lastStoredAt: meaning(r.outcome, r.reason).delivered ? at : (before?.lastStoredAt ?? null),
      });
    }
  }

  watchTokens(tokens: () => readonly AccessTokenHealth[]): void {
    this.tokens = tokens;
  }

  /** Issued accounts whose integrations hold no live token: past its expiry, or none after a failure. */
  lapsed(now: Date = new Date()): string[] {
    return this.tokens()
      .filter((t) => (t.expiresAt ? t.expiresAt.getTime() <= now.getTime() : t.failures > 0))
      .map((t) => t.username);
  }

  /** The mailboxes with no successful sweep within `maxAgeMs`: a socket that is open proves nothing. */
  stale(maxAgeMs: number, now: Date = new Date()): string[] {
    return [...this.mailboxes].filter(([, s]) => s.lastSweep === null || now.getTime() - s.lastSweep.getTime() > maxAgeMs).map(([name]) => name);
  }

  healthy(maxAgeMs: number, now: Date = new Date()): boolean {
    const watching = this.mailboxes.size > 0 || this.tokens().length > 0;
    return watching && this.stale(maxAgeMs, now).length === 0 && this.lapsed(now).length === 0;
  }

  /** /status: the same truth as the metrics, for a person or a script. */
  status(maxAgeMs: number, now: Date = new Date()): object {
    const stale = new Set(this.stale(maxAgeMs, now));
    return {
      healthy: this.healthy(maxAgeMs, now),
      mailboxes: Object.fromEntries(
        [...this.mailboxes].map(([name, s]) => [
          name,
          { healthy: !stale.has(name), connected: s.connected, lastSweep: s.lastSweep?.toISOString() ?? null, reconnects: s.reconnects, messages: Object.fromEntries(s.outcomes) },
        ]),
      ),
      users: Object.fromEntries(
        [...this.users].map(([u, s]) => [u, { outcome: s.outcome, reason: s.reason, fingerprint: s.fingerprint, at: s.at.toISOString(), lastStoredAt: s.lastStoredAt?.toISOString() ?? null }]),
      ),
    };
  }

  /** Prometheus text exposition format. */
  metrics(): string {
    const seconds = (d: Date) => (d.getTime() / 1000).toFixed(3);
    const users = [...this.users];
    const boxes = [...this.mailboxes].map(([name, s]) => [`mailbox="${label(name)}"`, s] as const);
    const lines = [
      '# HELP sftoken_messages_total Messages handled, by mailbox and outcome.',
      '# TYPE sftoken_messages_total counter',
      ...boxes.flatMap(([m, s]) => [...s.outcomes].map(([o, n]) => `sftoken_messages_total{${m},outcome="${o}"} ${n}`)),
      '# HELP sftoken_access_token_issued_timestamp_seconds When the current access token of an issued account was issued.',
      '# TYPE sftoken_access_token_issued_timestamp_seconds gauge',
      ...this.tokens().map((t) => `sftoken_access_token_issued_timestamp_seconds{username="${label(t.username)}"} ${t.issuedAt ? seconds(t.issuedAt) : 0}`),
      '# HELP sftoken_access_token_expiry_timestamp_seconds When it is taken to lapse (issued at plus the session timeout).',
      '# TYPE sftoken_access_token_expiry_timestamp_seconds gauge',
      ...this.tokens().map((t) => `sftoken_access_token_expiry_timestamp_seconds{username="${label(t.username)}"} ${t.expiresAt ? seconds(t.expiresAt) : 0}`),
      '# HELP sftoken_access_token_next_refresh_timestamp_seconds When the next access token is due.',
      '# TYPE sftoken_access_token_next_refresh_timestamp_seconds gauge',
      ...this.tokens().map((t) => `sftoken_access_token_next_refresh_timestamp_seconds{username="${label(t.username)}"} ${t.nextRefresh ? seconds(t.nextRefresh) : 0}`),
      '# HELP sftoken_access_token_refresh_failures Failed requests to the token endpoint in a row.',
      '# TYPE sftoken_access_token_refresh_failures gauge',
      ...this.tokens().map((t) => `sftoken_access_token_refresh_failures{username="${label(t.username)}"} ${t.failures}`),
      '# HELP sftoken_certificate_expiry_timestamp_seconds When the certificate of a JWT account expires.',
      '# TYPE sftoken_certificate_expiry_timestamp_seconds gauge',
      ...this.tokens().flatMap((t) => (t.certificateExpiresAt ? [`sftoken_certificate_expiry_timestamp_seconds{username="${label(t.username)}"} ${seconds(t.certificateExpiresAt)}`] : [])),
      '# HELP sftoken_messages_not_stored_total Messages that did not go through, by mailbox and reason (a forged header, a lost claim, a closed login path, …).',
      '# TYPE sftoken_messages_not_stored_total counter',
      ...boxes.flatMap(([m, s]) => [...s.reasons].map(([r, n]) => `sftoken_messages_not_stored_total{${m},reason="${label(r)}"} ${n}`)),
      "# HELP sftoken_imap_connected Whether the mailbox's IMAP connection is up (1) or being made again (0).",
      '# TYPE sftoken_imap_connected gauge',
      ...boxes.map(([m, s]) => `sftoken_imap_connected{${m}} ${s.connected ? 1 : 0}`),
      '# HELP sftoken_imap_reconnects_total Reconnections to the IMAP server.',
      '# TYPE sftoken_imap_reconnects_total counter',
      ...boxes.map(([m, s]) => `sftoken_imap_reconnects_total{${m}} ${s.reconnects}`),
      '# HELP sftoken_imap_last_success_timestamp_seconds When a sweep of the mailbox last succeeded.',
      '# TYPE sftoken_imap_last_success_timestamp_seconds gauge',
      ...boxes.map(([m, s]) => `sftoken_imap_last_success_timestamp_seconds{${m}} ${s.lastSweep ? seconds(s.lastSweep) : 0}`),
      '# HELP sftoken_notifications_failed_total Notifications (--notify) that could not be delivered.',
      '# TYPE sftoken_notifications_failed_total counter',
      `sftoken_notifications_failed_total ${this.notificationFailures()}`,
      '# HELP sftoken_held_messages Refused token emails kept in the held folder, waiting for a person.',
      '# TYPE sftoken_held_messages gauge',
      `sftoken_held_messages ${this.held()}`,
      // As cert-manager exports a certificate's expiry: an alert compares it with time().
      "# HELP sftoken_login_path_end_timestamp_seconds When the login path each account's token serves ends (0: not available at its API version).",
      '# TYPE sftoken_login_path_end_timestamp_seconds gauge',
      ...this.pathEnds.map((p) => `sftoken_login_path_end_timestamp_seconds{username="${label(p.username)}",path="${label(p.path)}"} ${p.endsAt ? seconds(p.endsAt) : 0}`),
      "# HELP sftoken_token_last_outcome The last outcome for each user's token: 1 for that outcome, 0 for the others.",
      '# TYPE sftoken_token_last_outcome gauge',
      ...users.flatMap(([u, s]) => OUTCOMES.map((o) => `sftoken_token_last_outcome{username="${label(u)}",outcome="${o}"} ${o === s.outcome ? 1 : 0}`)),
      '# HELP sftoken_token_last_stored_timestamp_seconds When a token was last stored, per username.',
      '# TYPE sftoken_token_last_stored_timestamp_seconds gauge',
      ...users.flatMap(([u, s]) => (s.lastStoredAt ? [`sftoken_token_last_stored_timestamp_seconds{username="${label(u)}"} ${seconds(s.lastStoredAt)}`] : [])),
    ];
    return lines.join('\n') + '\n';
  }
}

/**
 * /healthz answers 200 only while every mailbox had a successful sweep recently (the loops run
 * and the servers answer whole commands, not just keep-alives); /status and /metrics say what
 * happened in each mailbox and to each token, for alerts.
 */
export async function serveHealth(liveness: Liveness, host: string, port: number, maxAgeMs: number, token: string | null = null): Promise<Server> {
  // Usernames and fingerprints are for this machine, or for whoever holds the token.
  const mayRead = (req: IncomingMessage): boolean => (token ? req.headers.authorization === `Bearer ${token}` : isLoopback(req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? ''));
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      const ok = liveness.healthy(maxAgeMs);
      const lapsed = liveness.lapsed();
      const why = lapsed.length ? `no live access token: ${lapsed.join(', ')}` : `no recent successful sweep: ${liveness.stale(maxAgeMs).join(', ')}`;
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok\n' : `${why}\n`);
    } else if ((req.url === '/status' || req.url === '/metrics') && !mayRead(req)) {
      res.writeHead(token ? 401 : 403, { 'Content-Type': 'text/plain' }).end(token ? 'a bearer token is needed\n' : 'only from this machine; set SFTOKEN_HEALTH_TOKEN to read it from elsewhere\n');
    } else if (req.url === '/status') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(liveness.status(maxAgeMs)) + '\n');
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(liveness.metrics());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return server;
}
