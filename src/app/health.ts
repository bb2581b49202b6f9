import { createServer, type Server } from 'node:http';
import type { MessageRecord, OutcomeKind } from '../pipeline/types.js';
import type { WatchEvents } from '../sources/imap/watcher.js';

const OUTCOMES: readonly OutcomeKind[] = ['stored', 'would-store', 'superseded', 'ignored', 'rejected', 'failed'];

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** What happened last to a user's token: what an alert on a refused or failed token reads. */
interface UserState {
  outcome: OutcomeKind;
  reason: string | null;
  fingerprint: string | null;
  at: Date;
  lastStoredAt: Date | null;
}

/** What the watcher knows about its own health, for the heartbeat, /healthz, /status and /metrics. */
export class Liveness implements WatchEvents {
  lastSuccess: Date | null = null;
  private reconnects = 0;
  private readonly outcomes = new Map<OutcomeKind, number>();
  private readonly users = new Map<string, UserState>();

  /** `notificationFailures` counts --notify messages that could not be delivered. */
  constructor(private readonly notificationFailures: () => number = () => 0) {}

  contact(at: Date = new Date()): void {
    this.lastSuccess = at;
  }

  reconnecting(): void {
    this.reconnects++;
  }

  /**
   * Counts every record; a user's last outcome changes only on what decides about their token
   * now (stored, refused, failed), not on an older copy that was superseded or already applied.
   */
  handled(records: readonly MessageRecord[], at: Date = new Date()): void {
    for (const r of records) {
      this.outcomes.set(r.outcome, (this.outcomes.get(r.outcome) ?? 0) + 1);
      if (!r.username || !['stored', 'rejected', 'failed'].includes(r.outcome)) continue;
      const before = this.users.get(r.username);
      this.users.set(r.username, {
        outcome: r.outcome,
        reason: r.reason ?? null,
        fingerprint: r.fingerprint ?? null,
        at,
        lastStoredAt: r.outcome === 'stored' ? at : (before?.lastStoredAt ?? null),
      });
    }
  }

  healthy(maxAgeMs: number, now: Date = new Date()): boolean {
    return this.lastSuccess !== null && now.getTime() - this.lastSuccess.getTime() <= maxAgeMs;
  }

  /** /status: the same truth as the metrics, for a person or a script. */
  status(maxAgeMs: number): object {
    return {
      healthy: this.healthy(maxAgeMs),
      lastContact: this.lastSuccess?.toISOString() ?? null,
      reconnects: this.reconnects,
      messages: Object.fromEntries(this.outcomes),
      users: Object.fromEntries(
        [...this.users].map(([u, s]) => [u, { outcome: s.outcome, reason: s.reason, fingerprint: s.fingerprint, at: s.at.toISOString(), lastStoredAt: s.lastStoredAt?.toISOString() ?? null }]),
      ),
    };
  }

  /** Prometheus text exposition format. */
  metrics(): string {
    const seconds = (d: Date) => (d.getTime() / 1000).toFixed(3);
    const users = [...this.users];
    const lines = [
      '# HELP sftoken_messages_total Messages handled, by outcome.',
      '# TYPE sftoken_messages_total counter',
      ...[...this.outcomes].map(([o, n]) => `sftoken_messages_total{outcome="${o}"} ${n}`),
      '# HELP sftoken_imap_reconnects_total Reconnections to the IMAP server.',
      '# TYPE sftoken_imap_reconnects_total counter',
      `sftoken_imap_reconnects_total ${this.reconnects}`,
      '# HELP sftoken_imap_last_success_timestamp_seconds When the last IMAP round trip succeeded.',
      '# TYPE sftoken_imap_last_success_timestamp_seconds gauge',
      `sftoken_imap_last_success_timestamp_seconds ${this.lastSuccess ? seconds(this.lastSuccess) : 0}`,
      '# HELP sftoken_notifications_failed_total Notifications (--notify) that could not be delivered.',
      '# TYPE sftoken_notifications_failed_total counter',
      `sftoken_notifications_failed_total ${this.notificationFailures()}`,
      '# HELP sftoken_token_last_outcome The last outcome for each user\'s token: 1 for that outcome, 0 for the others.',
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
 * /healthz answers 200 only while the last IMAP round trip is recent (liveness: the loop runs and
 * the mailbox answers); /status and /metrics say what happened to each token, for alerts.
 */
export async function serveHealth(liveness: Liveness, host: string, port: number, maxAgeMs: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      const ok = liveness.healthy(maxAgeMs);
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok\n' : 'no recent IMAP round trip\n');
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
