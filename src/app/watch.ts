import type { Server } from 'node:http';
import { heldFiles } from '../sources/held.js';
import { watchMailbox } from '../sources/imap/watcher.js';
import { ClaimSightings } from '../sources/imap/claim.js';
import { UsageError, describe } from '../util/errors.js';
import { every, untilAborted } from '../util/deadline.js';
import { runBatch } from './batch.js';
import { jointBatches } from './joint-batches.js';
import type { RunContext } from './context.js';
import { Liveness, serveHealth } from './health.js';
import { settingsFingerprint, sweepOptions } from './ingest.js';
import { tellLoginPathEnds, warnOfPathEnds } from './path-notices.js';
import { loginPathOf } from '../verify/login-paths.js';
import { certificateExpiries, refreshDue, refreshDeps, tellCertificateExpiry } from './refresh.js';

// How often watch looks whether an access token is due: often enough to be on time to the second
// a person cares about, cheap (the ledger in memory).
const REFRESH_TICK_MS = 5000;
// systemd and container runtimes give 10 s before SIGKILL; leave room to exit cleanly.
const SHUTDOWN_DEADLINE_MS = 9000;
// How long a batch of mail from some mailboxes waits for others still connecting or searching,
// so that a user's token emails in several mailboxes are judged together (only the newest is
// tried). A healthy server answers in well under a second; a slow one holds the rest up no longer.
const JOINT_BATCH_GRACE_MS = 10_000;

/** Aborts the run on the first SIGTERM or SIGINT; past the deadline the process exits regardless. */
function stopOnSignal(ctx: RunContext): void {
  const onSignal = (signal: string): void => {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    ctx.log.info('stopping', { signal });
    setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
    ctx.stop.abort();
  };
  const onTerm = (): void => onSignal('SIGTERM');
  const onInt = (): void => onSignal('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  ctx.stop.signal.addEventListener('abort', () => {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  });
}

/**
 * Access tokens of the issued accounts, refreshed when due, beside the mailboxes: looked at every
 * few seconds, each account asked at most once a minute (credentials/refresh.ts).
 */
function keepFresh(ctx: RunContext, liveness: Liveness): void {
  const deps = refreshDeps(ctx);
  // Read once: /healthz and /metrics ask for it on every request, and the file does not change under a running watcher.
  const certificates = certificateExpiries(ctx.config.issuedAccounts);
  liveness.watchTokens(() =>
    ctx.config.issuedAccounts.map((a) => {
      const state = ctx.refresh.refreshState(a.username);
      const date = (s: string | undefined) => (s ? new Date(s) : null);
      return {
        username: a.username,
        issuedAt: date(state.current?.issuedAt),
        expiresAt: date(state.current?.expiresAt),
        nextRefresh: date(state.nextAttemptAt),
        failures: state.failures,
        certificateExpiresAt: certificates.get(a.username) ?? null,
      };
    }),
  );
  void every(REFRESH_TICK_MS, ctx.stop.signal, async () => {
    const now = new Date();
    try {
      await tellCertificateExpiry(ctx, now, certificates);
      await refreshDue(ctx, deps, now);
    } catch (err) {
      if (!(err instanceof UsageError)) return void ctx.log.warn('access-token refresh failed', { error: describe(err) });
      // A destination that cannot hold an access token: a configuration error stops the watcher.
      ctx.log.error(describe(err));
      ctx.stop.abort();
    }
  });
}

/** `sftoken watch`: every configured mailbox watched until a signal; the exit code. */
export async function watchMailboxes(ctx: RunContext): Promise<number> {
  const { config } = ctx;
  const liveness = new Liveness(
    config.mailboxes.map((m) => m.name),
    () => ctx.notifier?.failures ?? 0,
    () => heldFiles(config.heldPath).length,
    config.accounts.map((a) => {
      const path = loginPathOf(a, config.loginPathEnds);
      return { username: a.username, path: path.kind, endsAt: path.available ? path.endsAt : null };
    }),
  );
  // A signal stops every mailbox; so does a configuration error met by any one of them.
  stopOnSignal(ctx);
  let server: Server | null = null;
  if (config.watch.health) {
    const { host, port, token } = config.watch.health;
    // /healthz turns unhealthy after three heartbeats without a sweep, plus the time a sweep in
    // flight may still take.
    const maxAgeMs = 3 * config.watch.heartbeatMs + config.imap.commandTimeoutMs;
    server = await serveHealth(liveness, host, port, maxAgeMs, token).catch((err: unknown) => {
      throw new UsageError(`cannot serve health on ${host}:${port}: ${describe(err)}`);
    });
  }
  warnOfPathEnds(ctx, new Date());
  // The login paths' ends are looked at on the heartbeat: a watcher runs for months.
  void every(config.watch.heartbeatMs, ctx.stop.signal, () => tellLoginPathEnds(ctx, new Date()).catch((err: unknown) => ctx.log.warn('could not record a notice', { error: describe(err) })));
  if (config.issuedAccounts.length) keepFresh(ctx, liveness);
  const joinBatch = jointBatches((messages) => runBatch(ctx, messages), JOINT_BATCH_GRACE_MS);
  const settings = await settingsFingerprint(ctx);
  try {
    const results = await Promise.allSettled(
      config.mailboxes.map((mailbox) =>
        watchMailbox({
          mailbox,
          heartbeatMs: config.watch.heartbeatMs,
          imap: config.imap,
          firstSince: config.watch.firstSince,
          settings,
          joinBatch,
          sweep: sweepOptions(ctx, settings),
          marks: ctx.marks,
          checkpoint: ctx.checkpoint,
          events: liveness,
          signal: ctx.stop.signal,
          secrets: ctx.config.secrets,
          sightings: new ClaimSightings(),
        }).finally(() => ctx.stop.abort()),
      ),
    );
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    // Only access tokens to keep fresh: the refresh runs until a signal stops the watcher.
    if (config.mailboxes.length === 0) await untilAborted(ctx.stop.signal);
  } finally {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
  ctx.log.info('stopped');
  return 0;
}
