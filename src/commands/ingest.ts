import type { ImapFlow } from 'imapflow';
import type { Config } from '../config.js';
import { UsageError, describe } from '../errors.js';
import { parseSince } from '../since.js';
import { connectImap, imapError, openMailbox } from '../sources/imap.js';
import { findCandidates } from '../sources/imap-search.js';
import { settle, toSettle } from '../sources/imap-settle.js';
import { mailboxSettings } from './mailbox.js';
import { exitCodeFor, prepare, runBatch, type RunContext } from './run.js';
import type { AfterMode } from '../sources/imap-settle.js';
import type { Handled } from '../pipeline.js';

/**
 * Searches one open mailbox, runs the candidates as one batch and settles what reached a final
 * outcome. Shared by ingest and by every catch-up of watch.
 */
export async function sweep(
  ctx: RunContext,
  client: ImapFlow,
  scope: { mailbox: string; uidValidity: string; since: Date | null; afterUid: number },
  after: AfterMode,
): Promise<{ handled: Handled[]; highestUid: number }> {
  const { messages, highestUid } = await findCandidates(client, {
    ...scope,
    forwarders: ctx.config.trustedForwarders,
    skipHandled: after.kind === 'flag',
    maxMessageBytes: ctx.config.maxMessageBytes,
  });
  ctx.log.debug('mailbox searched', { mailbox: scope.mailbox, candidates: messages.length, highestUid });
  const handled = messages.length ? await runBatch(ctx, messages) : [];
  if (!ctx.config.dryRun) await settle(client, toSettle(handled), after, ctx.log);
  return { handled, highestUid };
}

/** `sftoken ingest --since <when>`: one search of the mailbox, one batch, then exit. */
export async function ingest(config: Config): Promise<number> {
  if (!config.since) throw new UsageError('ingest needs --since: an ISO date, or a span such as 36h or 7d');
  const since = parseSince(config.since);
  const { imap, after } = await mailboxSettings(config);
  const ctx = await prepare(config);
  let client: ImapFlow;
  try {
    client = await connectImap(imap);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    process.stderr.write(`sftoken: ${describe(err)}\n`);
    return 1;
  }
  try {
    const box = await openMailbox(client, imap.mailbox);
    const { handled } = await sweep(ctx, client, { mailbox: imap.mailbox, uidValidity: box.uidValidity, since, afterUid: 0 }, after);
    return exitCodeFor(handled.map((h) => h.record));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    process.stderr.write(`sftoken: IMAP error: ${imapError(err)}\n`);
    return 1;
  } finally {
    await client.logout().catch(() => client.close());
  }
}
