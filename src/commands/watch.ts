import type { ImapFlow } from 'imapflow';
import type { Config } from '../config.js';
import { UsageError, describe } from '../util/errors.js';
import { Liveness, serveHealth } from '../app/health.js';
import { parseSince } from '../util/since.js';
import { connectImap, imapError, openMailbox, type ImapSettings } from '../sources/imap/connect.js';
import type { AfterMode } from '../sources/imap/settle.js';
import { backoffMs } from '../util/backoff.js';
import { mailboxKey, mailboxSettings, sweep } from './mailbox.js';
import { prepare, type RunContext } from './run.js';

// Reconnects back off from 1 s to a minute and retry for ever; a refused login waits longer,
// since a mail server may lock an account that keeps failing too.
const RECONNECT_BASE_MS = 1000;
const RECONNECT_CAP_MS = 60_000;
const AUTH_FAILURE_CAP_MS = 15 * 60_000;
// systemd and container runtimes give 10 s before SIGKILL; leave room to exit cleanly.
const SHUTDOWN_DEADLINE_MS = 9000;

interface WatchState {
  ctx: RunContext;
  imap: ImapSettings;
  after: AfterMode;
  liveness: Liveness;
  firstSince: Date;
  stopped: Promise<void>;
  isStopping: () => boolean;
  /** The mailbox is open: only now has a reconnect succeeded, and its backoff starts afresh. */
  onWatching: () => void;
}

function sleep(ms: number, stopped: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), stopped]).finally(() => clearTimeout(timer));
}

/**
 * One connection's life: catch up from the high-water mark, then IDLE, catching up again on
 * every EXISTS and on every heartbeat while a failed message waits. Returns when the connection
 * closes or the watcher stops.
 */
async function session(state: WatchState, client: ImapFlow): Promise<void> {
  const { ctx, imap, after, liveness } = state;
  const key = mailboxKey(imap);
  const box = await openMailbox(client, imap.mailbox);
  let mark = ctx.deps.ledger.mailbox(key);
  if (mark && mark.uidValidity !== box.uidValidity) {
    ctx.log.warn('UIDVALIDITY changed: reading the mailbox again from --since', { mailbox: imap.mailbox, was: mark.uidValidity, now: box.uidValidity });
    mark = undefined;
  }
  let afterUid = mark?.lastUid ?? 0;
  let since: Date | null = mark ? null : state.firstSince;
  let retryPending = false;
  liveness.markSuccess();
  state.onWatching();
  ctx.log.info('watching', { mailbox: imap.mailbox, host: imap.host, afterUid, since: since?.toISOString() ?? null });

  const catchUp = async (): Promise<void> => {
    const { handled, highestUid } = await sweep(ctx, client, { mailbox: imap.mailbox, uidValidity: box.uidValidity, since, afterUid }, after);
    // A failed message must be seen again: the mark stops just before the first one.
    const failed = handled.filter((h) => h.record.outcome === 'failed').map((h) => h.message.sequence);
    afterUid = failed.length ? Math.min(...failed) - 1 : highestUid;
    since = null;
    retryPending = failed.length > 0;
    liveness.markSuccess();
    liveness.count(handled.map((h) => h.record));
    if (!ctx.config.dryRun) {
      ctx.deps.ledger.recordMailbox(key, { uidValidity: box.uidValidity, lastUid: afterUid });
      await ctx.deps.ledger.save();
    }
  };

  let queue: Promise<void> = Promise.resolve();
  const enqueue = (job: () => Promise<void>): Promise<void> =>
    (queue = queue.then(job).catch((err: unknown) => {
      ctx.log.error('mailbox work failed; reconnecting', { error: imapError(err) });
      client.close();
    }));
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.on('exists', (info: { count: number; prevCount: number }) => {
    ctx.log.debug('new mail', { count: info.count, previous: info.prevCount });
    void enqueue(catchUp);
  });
  const heartbeat = setInterval(() => {
    void enqueue(async () => {
      // A round trip proves the connection alive; IDLE alone can sit on a dead socket.
      await client.noop();
      liveness.markSuccess();
      ctx.log.info('heartbeat', { mailbox: imap.mailbox, afterUid, reconnects: liveness.reconnects, retryPending });
      if (retryPending) await catchUp();
    });
  }, ctx.config.heartbeat * 1000);
  try {
    await enqueue(catchUp);
    while (!state.isStopping() && client.usable) {
      await Promise.race([client.idle().catch(() => undefined), closed, state.stopped]);
      await queue;
    }
  } finally {
    clearInterval(heartbeat);
    await queue;
  }
}

/** `sftoken watch`: IDLE on the mailbox for ever, reconnecting and catching up as needed. */
export async function watch(config: Config): Promise<number> {
  const { imap, after } = await mailboxSettings(config);
  const ctx = await prepare(config);
  const liveness = new Liveness();
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      ctx.log.info('stopping', { signal });
      setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
      resolve();
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  // Reset only once the mailbox is open: a server that accepts the login but lacks the mailbox
  // would otherwise be asked again every second for ever.
  let attempt = 0;
  const state: WatchState = {
    ctx,
    imap,
    after,
    liveness,
    firstSince: parseSince(config.since ?? '7d'),
    stopped,
    isStopping: () => stopping,
    onWatching: () => (attempt = 0),
  };
  const maxAgeMs = Math.max(3 * config.heartbeat * 1000, 30_000);
  const server = config.healthPort !== null ? await serveHealth(liveness, config.healthHost, config.healthPort, maxAgeMs).catch((err: unknown) => {
    throw new UsageError(`cannot serve health on ${config.healthHost}:${config.healthPort}: ${describe(err)}`);
  }) : null;

  while (!stopping) {
    let client: ImapFlow | null = null;
    let cap = RECONNECT_CAP_MS;
    try {
      client = await connectImap(imap);
      await session(state, client);
    } catch (err) {
      if (err instanceof UsageError) cap = AUTH_FAILURE_CAP_MS;
      ctx.log.error('mailbox unavailable', { error: imapError(err) });
    } finally {
      if (client) await (stopping ? client.logout().catch(() => client?.close()) : Promise.resolve(client.close()));
    }
    if (stopping) break;
    liveness.reconnects++;
    const delay = backoffMs(attempt++, RECONNECT_BASE_MS, cap);
    ctx.log.warn('reconnecting', { inMs: delay, attempt });
    await sleep(delay, stopped);
  }
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  ctx.log.info('stopped');
  return 0;
}
