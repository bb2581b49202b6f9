import type { ImapFlow } from 'imapflow';
import type { Mailbox } from '../../config/index.js';
import type { BatchHandler, Handled } from '../../pipeline/types.js';
import type { Logger } from '../../util/log.js';
import { findCandidates } from './search.js';
import { settle, toSettle } from './settle.js';

interface SweepScope {
  uidValidity: string;
  since: Date | null;
  afterUid: number;
}

export interface SweepOptions {
  forwarders: readonly string[];
  maxMessageBytes: number;
  /** False in a dry run: what was found is reported, and the mailbox is left as it is. */
  settle: boolean;
  log: Logger;
}

/**
 * Searches one open mailbox, hands the candidates to the pipeline as one batch and settles what
 * reached a final outcome. Shared by ingest and by every catch-up of watch.
 */
export async function sweep(
  client: ImapFlow,
  mailbox: Mailbox,
  scope: SweepScope,
  handle: BatchHandler,
  options: SweepOptions,
): Promise<{ handled: Handled[]; highestUid: number }> {
  const { messages, highestUid } = await findCandidates(client, {
    ...scope,
    mailbox: mailbox.name,
    forwarders: options.forwarders,
    skipHandled: mailbox.after.kind === 'flag',
    maxMessageBytes: options.maxMessageBytes,
  });
  options.log.debug('mailbox searched', { mailbox: mailbox.name, candidates: messages.length, highestUid });
  const handled = messages.length ? await handle(messages) : [];
  if (options.settle) await settle(client, toSettle(handled), mailbox.after, options.log);
  return { handled, highestUid };
}
