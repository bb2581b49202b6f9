import type { ImapFlow } from 'imapflow';
import type { Mailbox } from '../config/index.js';
import { connectImap, imapError, openMailbox } from '../sources/imap/connect.js';
import { sweep, type SweepOptions } from '../sources/imap/sweep.js';
import { TransientError, UsageError, describe } from '../util/errors.js';
import { exitCodeFor, runBatch } from './batch.js';
import type { RunContext } from './context.js';

/** One search of one mailbox, one batch, settled; returns the exit code. */
export async function ingestMailbox(ctx: RunContext, mailbox: Mailbox, since: Date): Promise<number> {
  let client: ImapFlow | undefined;
  try {
    client = await connectImap(mailbox, ctx.config.watch.idleRestartMs);
    const box = await openMailbox(client, mailbox.folder);
    const { handled } = await sweep(client, mailbox, { uidValidity: box.uidValidity, since, afterUid: 0 }, (messages) => runBatch(ctx, messages), sweepOptions(ctx));
    await ctx.notifier?.flush();
    return exitCodeFor(handled.map((h) => h.record));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // connectImap's and openMailbox's errors say what failed; imapflow's own need the prefix.
    ctx.io.stderr(`sftoken: ${err instanceof TransientError ? describe(err) : `IMAP error: ${imapError(err)}`}\n`);
    return 1;
  } finally {
    await client?.logout().catch(() => client?.close());
  }
}

/** How a mailbox sweep runs under this configuration; a dry run leaves the mailbox untouched. */
export function sweepOptions(ctx: RunContext): SweepOptions {
  return { forwarders: ctx.config.trust.forwarders, maxMessageBytes: ctx.config.maxMessageBytes, settle: !ctx.config.dryRun, log: ctx.log };
}
