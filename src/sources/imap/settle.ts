import type { ImapFlow } from 'imapflow';
import { UsageError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { Handled } from '../../pipeline.js';
import { HANDLED_KEYWORD, uidSet } from './search.js';

export type AfterMode = { kind: 'flag' } | { kind: 'seen' } | { kind: 'move'; folder: string } | { kind: 'delete' };

export function parseAfter(value: string): AfterMode {
  if (value === 'flag' || value === 'seen' || value === 'delete') return { kind: value };
  if (value.startsWith('move:') && value.length > 'move:'.length) return { kind: 'move', folder: value.slice('move:'.length) };
  throw new UsageError(`--after "${value}": use flag, seen, move:<folder> or delete`);
}

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
