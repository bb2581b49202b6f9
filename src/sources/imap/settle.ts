import type { ImapFlow } from 'imapflow';
import type { AfterMode } from '../../config/index.js';
import { meaning, type Settle } from '../../pipeline/outcomes.js';
import type { Handled } from '../../pipeline/types.js';
import type { Logger } from '../../util/log.js';
import { within } from './deadline.js';
import { HANDLED_KEYWORD, uidSet } from './search.js';

/**
 * Which handled messages to settle (DESIGN §2a, item 1): token emails whose token is safe: stored,
 * already applied, or superseded by one that is. Everything else (refused, failed, a superseded
 * token whose successor did not make it) stays as it was, unread and in place, for a person to
 * see or for a later retry; mail that is not a token email is never touched.
 */
export function toSettle(handled: readonly Handled[]): number[] {
  const settle = (h: Handled): Settle => (h.tokenEmail ? meaning(h.record.outcome, h.record.reason).settle : 'keep');
  const safeUsers = new Set(handled.filter((h) => settle(h) === 'safe').map((h) => h.record.username));
  return handled.filter((h) => settle(h) === 'safe' || (settle(h) === 'with-newer' && safeUsers.has(h.record.username))).map((h) => h.message.sequence);
}

/** Flags, moves or deletes the settled messages; the caller holds the open mailbox. */
export async function settle(client: ImapFlow, uids: readonly number[], mode: AfterMode, log: Logger): Promise<void> {
  if (uids.length === 0) return;
  const set = uidSet(uids);
  switch (mode.kind) {
    case 'flag':
      await within(client, 'STORE', () => client.messageFlagsAdd(set, ['\\Seen', HANDLED_KEYWORD], { uid: true }));
      break;
    case 'seen':
      await within(client, 'STORE', () => client.messageFlagsAdd(set, ['\\Seen'], { uid: true }));
      break;
    case 'move': {
      const boxes = await within(client, 'LIST', () => client.list());
      if (!boxes.some((b) => b.path === mode.folder)) await within(client, 'CREATE', () => client.mailboxCreate(mode.folder));
      await within(client, 'MOVE', () => client.messageMove(set, mode.folder, { uid: true }));
      break;
    }
    case 'delete':
      // UID EXPUNGE where the server has UIDPLUS: only these messages go, nothing else marked \Deleted.
      await within(client, 'EXPUNGE', () => client.messageDelete(set, { uid: true }));
      break;
  }
  log.info('messages settled', { after: mode.kind, count: uids.length, uids: set });
}
