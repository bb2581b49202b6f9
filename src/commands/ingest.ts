import type { ImapFlow } from 'imapflow';
import type { Config } from '../config.js';
import { TransientError, UsageError, describe } from '../util/errors.js';
import { parseSince } from '../util/since.js';
import { connectImap, imapError, openMailbox } from '../sources/imap/connect.js';
import { mailboxSettings, sweep } from './mailbox.js';
import { exitCodeFor, prepare } from './run.js';

/** `sftoken ingest --since <when>`: one search of the mailbox, one batch, then exit. */
export async function ingest(config: Config): Promise<number> {
  if (!config.since) throw new UsageError('ingest needs --since: an ISO date, or a span such as 36h or 7d');
  const since = parseSince(config.since);
  const { imap, after } = await mailboxSettings(config);
  const ctx = await prepare(config);
  let client: ImapFlow | undefined;
  try {
    client = await connectImap(imap);
    const box = await openMailbox(client, imap.mailbox);
    const { handled } = await sweep(ctx, client, { mailbox: imap.mailbox, uidValidity: box.uidValidity, since, afterUid: 0 }, after);
    return exitCodeFor(handled.map((h) => h.record));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // connectImap's and openMailbox's errors say what failed; imapflow's own need the prefix.
    process.stderr.write(`sftoken: ${err instanceof TransientError ? describe(err) : `IMAP error: ${imapError(err)}`}\n`);
    return 1;
  } finally {
    await client?.logout().catch(() => client?.close());
  }
}
