import type { ImapFlow } from 'imapflow';
import type { AfterMode } from '../../config/index.js';
import type { Handled } from '../../pipeline/types.js';
import type { Logger } from '../../util/log.js';
import { HANDLED_KEYWORD, uidSet } from './search.js';

/**
 * Which handled messages to settle: token emails that reached a final outcome. A failed one is
 * left as it is, to be tried again; mail that is not a token email is never touched.
 */
export function toSettle(handled: readonly Handled[]): number[] {
  return handled.filter((h) => h.tokenEmail && h.record.outcome !== 'failed').map((h) => h.message.sequence);
}

/** Flags, moves or deletes the settled messages; the caller holds the open mailbox. */
export async function settle(client: ImapFlow, uids: readonly number[], mode: AfterMode, log: Logger): Promise<void> {
  if (uids.length === 0) return;
  const set = uidSet(uids);
  switch (mode.kind) {
    case 'flag':
      await client.messageFlagsAdd(set, ['\\Seen', HANDLED_KEYWORD], { uid: true });
      break;
    case 'seen':
      await client.messageFlagsAdd(set, ['\\Seen'], { uid: true });
      break;
    case 'move': {
      const boxes = await client.list();
      if (!boxes.some((b) => b.path === mode.folder)) await client.mailboxCreate(mode.folder);
      await client.messageMove(set, mode.folder, { uid: true });
      break;
    }
    case 'delete':
      // UID EXPUNGE where the server has UIDPLUS: only these messages go, nothing else marked \Deleted.
      await client.messageDelete(set, { uid: true });
      break;
  }
  log.info('messages settled', { after: mode.kind, count: uids.length, uids: set });
}
