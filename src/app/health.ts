import { createServer, type Server } from 'node:http';
import type { MessageRecord, OutcomeKind } from '../pipeline/types.js';
import type { WatchEvents } from '../sources/imap/watcher.js';

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** What the watcher knows about its own health, for the heartbeat, /healthz and /metrics. */
export class Liveness implements WatchEvents {
  lastSuccess: Date | null = null;
  private reconnects = 0;
  private readonly outcomes = new Map<OutcomeKind, number>();
  private readonly storedAt = new Map<string, Date>();

  contact(at: Date = new Date()): void {
    this.lastSuccess = at;
  }

  reconnecting(): void {
    this.reconnects++;
  }

  handled(records: readonly MessageRecord[], at: Date = new Date()): void {
    for (const r of records) {
      this.outcomes.set(r.outcome, (this.outcomes.get(r.outcome) ?? 0) + 1);
      if (r.outcome === 'stored' && r.username) this.storedAt.set(r.username, at);
    }
  }

  healthy(maxAgeMs: number, now: Date = new Date()): boolean {
    return this.lastSuccess !== null && now.getTime() - this.lastSuccess.getTime() <= maxAgeMs;
  }

  /** Prometheus text exposition format. */
  metrics(): string {
    const seconds = (d: Date) => (d.getTime() / 1000).toFixed(3);
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
      '# HELP sftoken_token_stored_timestamp_seconds When a token was last stored, per username.',
      '# TYPE sftoken_token_stored_timestamp_seconds gauge',
      ...[...this.storedAt].map(([u, d]) => `sftoken_token_stored_timestamp_seconds{username="${label(u)}"} ${seconds(d)}`),
    ];
    return lines.join('\n') + '\n';
  }
}

/** /healthz answers 200 only while the last IMAP round trip is recent; /metrics for Prometheus. */
export async function serveHealth(liveness: Liveness, host: string, port: number, maxAgeMs: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      const ok = liveness.healthy(maxAgeMs);
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok\n' : 'no recent IMAP round trip\n');
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
