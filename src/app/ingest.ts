import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { credentialsFingerprint } from '../config/accounts.js';
import type { Mailbox } from '../config/index.js';
import type { BatchSlot } from '../pipeline/types.js';
import { connectImap, imapError, openMailbox } from '../sources/imap/connect.js';
import { sweep, type SweepOptions } from '../sources/imap/sweep.js';
import { TransientError, UsageError, describe } from '../util/errors.js';
import { exitCodeFor } from '../pipeline/outcomes.js';
import { runBatch } from './batch.js';
import { jointBatches } from './joint-batches.js';
import type { RunContext } from './context.js';
import { tellLoginPathEnds } from './path-notices.js';

/**
 * Every mailbox searched at once, their token emails judged as one batch (of two for one user
 * in different mailboxes, only the newer is tried); one mailbox that fails (a refused login, a
 * server down) is reported in one line and the others still run. The exit code is the most
 * urgent one: a configuration error (2), a refused token email (3), a failure to retry (1), else 0.
 */
export async function ingestMailboxes(ctx: RunContext): Promise<number> {
  await tellLoginPathEnds(ctx, new Date());
  // The batch waits for every mailbox: each connect and command has its own deadline.
  const joinBatch = jointBatches((messages) => runBatch(ctx, messages), Infinity);
  const { mailboxes } = ctx.config;
  // Every slot is taken before any mailbox connects, so none is left out of the batch.
  const jobs = mailboxes.map((mailbox) => ({ mailbox, slot: joinBatch() }));
  const options = sweepOptions(ctx, await settingsFingerprint(ctx));
  const results = await Promise.allSettled(jobs.map(({ mailbox, slot }) => ingestMailbox(ctx, mailbox, mailbox.since ?? ctx.config.watch.firstSince, slot, options)));
  const codes: number[] = [];
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') {
      codes.push(r.value);
      continue;
    }
    if (!(r.reason instanceof UsageError) || mailboxes.length === 1) throw r.reason;
    ctx.io.stderr(`sftoken: mailbox ${jobs[i]?.mailbox.name}: ${r.reason.message}\n`);
    codes.push(2);
  }
  await ctx.notifier?.flush();
  return [2, 3, 1].find((c) => codes.includes(c)) ?? 0;
}

/** One search of one mailbox, its share of the batch, settled; returns the exit code. */
async function ingestMailbox(ctx: RunContext, mailbox: Mailbox, since: Date, slot: BatchSlot, options: SweepOptions): Promise<number> {
  let client: ImapFlow | undefined;
  try {
    client = await connectImap(mailbox, ctx.config.imap, ctx.config.secrets, ctx.stop.signal);
    const box = await openMailbox(client, mailbox.folder);
    const { handled } = await sweep(client, mailbox, { uidValidity: box.uidValidity, since, afterUid: 0, relook: false }, slot, options);
    if (handled.length === 0) ctx.io.stderr(`sftoken: mailbox ${mailbox.name}: no token email since ${since.toISOString()}\n`);
    return exitCodeFor(handled.map((h) => h.record));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // connectImap's and openMailbox's errors say what failed; imapflow's own need the prefix.
    ctx.io.stderr(`sftoken: ${err instanceof TransientError ? describe(err) : `IMAP error: ${imapError(err)}`}\n`);
    return 1;
  } finally {
    // A mailbox that could not even be searched must not hold up the others' batch.
    slot.leave();
    await client?.logout().catch(() => client?.close());
  }
}

/** How a mailbox sweep runs under this configuration; a dry run leaves the mailbox untouched. */
export function sweepOptions(ctx: RunContext, settings: string): SweepOptions {
  return {
    forwarders: ctx.config.trust.forwarders,
    maxMessageBytes: ctx.config.maxMessageBytes,
    settle: !ctx.config.dryRun,
    replicas: ctx.config.replicas,
    settings,
    budget: { usernames: ctx.config.accounts.map((a) => a.username), note: (username, at) => ctx.budget.noteFailedLogin(username, at) },
    log: ctx.log,
  };
}

/** The credentials and trust settings in one value: when it changes, refused mail is looked at again. */
export async function settingsFingerprint(ctx: RunContext): Promise<string> {
  const credentials = await credentialsFingerprint(ctx.config.accounts);
  return createHash('sha256').update([ctx.deps.trustFingerprint, credentials].join('\u0000')).digest('hex').slice(0, 16);
}
