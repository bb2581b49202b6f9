// notify/: telling people (--notify webhooks) what became of a token email; one file per format.
import type { MessageRecord } from '../pipeline/types.js';
import { meaning } from '../pipeline/outcomes.js';
import { backoffMs } from '../util/backoff.js';
import { sleep, withDeadline } from '../util/deadline.js';
import { UsageError, describe } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { isLoopback } from '../util/loopback.js';
import type { Redactor } from '../util/redact.js';
import type { NotificationEvent } from './event.js';
import { FORMATS } from './formats.js';
import { json } from './json.js';
import type { NotificationFormat } from './types.js';

// A receiver that is down is tried a few times over some seconds, then given up and logged:
// a notification must never hold up a token.
const ATTEMPTS = 4;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 8000;
const REQUEST_TIMEOUT_MS = 10_000;
// How long a one-shot command waits for notifications still on their way before it exits.
const FLUSH_TIMEOUT_MS = 15_000;

interface Target {
  url: URL;
  format: NotificationFormat;
  label: string;
}

/**
 * `--notify <url>`: Slack and Teams (Workflows) webhooks are known by their host, or named with a
 * `slack:` / `teams:` prefix; any other URL gets the JSON event. https only (http to this
 * machine), since the URL itself is a credential for the channel.
 */
export function parseTarget(spec: string): Target {
  const colon = spec.indexOf(':');
  const named = FORMATS.find((f) => spec.slice(0, colon) === f.name && /^https?:/.test(spec.slice(colon + 1)));
  const raw = named ? spec.slice(colon + 1) : spec;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--notify "${spec}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) throw new UsageError(`--notify ${url.host}: must be https (http only for a loopback host)`);
  const format = named ?? FORMATS.find((f) => f.matches(url)) ?? json;
  // The path of a webhook URL is its secret: logs name the host only.
  return { url, format, label: `${format.name}:${url.host}` };
}

export interface Notifier {
  /** Queues a notification per record worth telling; returns at once. */
  handled(records: readonly MessageRecord[]): void;
  /** Queues one notice about the setup itself (not a token email); returns at once. */
  notice(notice: { headline: string; username: string | null; reason: string; note: string; source: string }): void;
  /** Waits (bounded) for notifications still on their way: before a one-shot command exits. */
  flush(): Promise<void>;
  readonly failures: number;
}

export function createNotifier(specs: readonly string[], log: Logger, signal: AbortSignal, secrets: Redactor): Notifier | null {
  if (specs.length === 0) return null;
  // Past flush's bound every request still on its way is given up, so that a receiver that never
  // answers cannot keep a one-shot command alive.
  const giveUp = new AbortController();
  const stop = AbortSignal.any([signal, giveUp.signal]);
  const targets = specs.map(parseTarget);
  const pending = new Set<Promise<void>>();
  // A failure retried on every heartbeat is told once, not once a minute.
  const toldFailures = new Set<string>();
  let failures = 0;

  const post = async (target: Target, body: string): Promise<void> => {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.any([stop, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
          redirect: 'error',
        });
        if (response.ok) return;
        // 4xx: the receiver will not take it however often it is sent.
        if (response.status < 500) throw new Error(`HTTP ${response.status}`);
        log.debug('notification refused for now; will retry', { target: target.label, status: response.status });
      } catch (err) {
        if (/^HTTP 4/.test(describe(err))) throw err;
        log.debug('notification not delivered; will retry', { target: target.label, error: describe(err) });
      }
      if (attempt + 1 < ATTEMPTS && !stop.aborted) await sleep(backoffMs(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS), stop);
    }
    throw new Error(`no answer after ${ATTEMPTS} attempts`);
  };

  const send = (event: NotificationEvent): void => {
    // Redacted like a log line: a note may quote another program's words.
    const body = (target: Target) => secrets.redact(JSON.stringify(target.format.payload(event)));
    for (const target of targets) {
      const job: Promise<void> = post(target, body(target))
        .catch((err: unknown) => {
          failures++;
          log.warn('notification could not be delivered', { target: target.label, outcome: event.outcome, username: event.username, error: describe(err) });
        })
        .finally(() => pending.delete(job));
      pending.add(job);
    }
  };

  return {
    get failures() {
      return failures;
    },
    handled(records) {
      for (const r of records.filter((r) => meaning(r.outcome, r.reason).notify)) {
        if (!meaning(r.outcome, r.reason).final) {
          const key = `${r.fingerprint ?? r.source}|${r.reason ?? ''}`;
          if (toldFailures.has(key)) continue;
          toldFailures.add(key);
        }
        send({
          kind: 'token-email',
          outcome: r.outcome,
          reason: r.reason ?? null,
          username: r.username ?? null,
          fingerprint: r.fingerprint ?? null,
          source: r.source,
          at: new Date().toISOString(),
          note: r.note ?? null,
        });
      }
    },
    notice(n) {
      send({ kind: 'notice', outcome: null, reason: n.reason, username: n.username, fingerprint: null, source: n.source, at: new Date().toISOString(), note: n.note, headline: n.headline });
    },
    async flush() {
      // Bounded: a receiver that is down must not hold up the command's exit.
      await withDeadline(FLUSH_TIMEOUT_MS, () => Promise.all([...pending]), { signal, expired: () => new Error('notifications still on their way') }).catch(() => undefined);
      giveUp.abort();
    },
  };
}
