import type { ImapFlow } from 'imapflow';
import type { Mailbox, ReplicaSettings } from '../../config/index.js';
import { meaning } from '../../pipeline/outcomes.js';
import type { BatchSlot, Handled } from '../../pipeline/types.js';
import type { Logger } from '../../util/log.js';
import { ClaimSightings, claim, release, requireCondstore, stillHeld } from './claim.js';
import { markFailures, markRefused, readFailures, refusedKeyword } from './marks.js';
import { within } from './deadline.js';
import { HANDLED_KEYWORD, findCandidates, uidSet } from './search.js';
import { settle, toSettle } from './settle.js';

interface SweepScope {
  uidValidity: string;
  since: Date | null;
  afterUid: number;
  /** Credentials or trust settings changed: refused mail is looked at again, even another replica's. */
  relook: boolean;
  /** The claims this process has seen on the mailbox, and since when: a watcher keeps them across sweeps. */
  sightings?: ClaimSightings;
}

export interface SweepOptions {
  forwarders: readonly string[];
  maxMessageBytes: number;
  /** False in a dry run: what was found is reported, and the mailbox is left as it is. */
  settle: boolean;
  /** With --replicas: each candidate is claimed on the server before it is read. */
  replicas: ReplicaSettings | null;
  /** The credentials and trust settings in one value: refusals are marked in the mailbox under it. */
  settings: string;
  /** The configured users, and where failed logins other copies marked in the mailbox are counted. */
  budget: { usernames: readonly string[]; note(username: string, at: Date): void };
  log: Logger;
}

interface SweepResult {
  handled: Handled[];
  highestUid: number;
  /** Candidates another replica holds now: to be looked at again until it lets them go. */
  held: number[];
}

/**
 * Searches one open mailbox, hands the candidates to the pipeline in the batch `slot` holds a
 * place in (shared with other mailboxes) and settles what reached a final outcome. Shared by
 * ingest and by every catch-up of watch. The slot is let go however the sweep ends.
 */
export async function sweep(client: ImapFlow, mailbox: Mailbox, scope: SweepScope, slot: BatchSlot, options: SweepOptions): Promise<SweepResult> {
  try {
    return await sweepWith(client, mailbox, scope, slot, options);
  } finally {
    slot.leave();
  }
}

async function sweepWith(client: ImapFlow, mailbox: Mailbox, scope: SweepScope, slot: BatchSlot, options: SweepOptions): Promise<SweepResult> {
  const claims = options.settle ? options.replicas : null;
  if (claims) requireCondstore(client, mailbox.name);
  const refused = refusedKeyword(options.settings);
  const { messages, highestUid } = await findCandidates(client, {
    ...scope,
    mailbox: mailbox.name,
    forwarders: options.forwarders,
    refused,
    // Replicas need a mark on settled mail whatever --after says: it is what tells the others.
    skipHandled: mailbox.after.kind === 'flag' || claims !== null,
    maxMessageBytes: options.maxMessageBytes,
  });
  options.log.debug('mailbox searched', { mailbox: mailbox.name, candidates: messages.length, highestUid });
  if (messages.length === 0) return { handled: [], highestUid, held: [] };
  // The budget is the user's (DESIGN §2a, item 9): failed logins any copy marked here count.
  const now = new Date();
  for (const [username, times] of await readFailures(client, options.budget.usernames, now)) for (const at of times) options.budget.note(username, at);
  const claimed = claims
    ? await claim(
        client,
        messages.map((m) => m.sequence),
        claims,
        { refused, sightings: scope.sightings ?? new ClaimSightings() },
      )
    : null;
  if (claimed && claimed.held.length) options.log.info('held by another replica', { mailbox: mailbox.name, uids: uidSet(claimed.held) });
  const mine = claimed
    ? messages.flatMap((m) => {
        const keyword = claimed.owned.get(m.sequence);
        return keyword ? [{ ...m, stillOurs: () => stillHeld(client, m.sequence, keyword) }] : [];
      })
    : messages;
  const handled = mine.length ? await slot.handle(mine) : [];
  if (options.settle) {
    const safe = toSettle(handled);
    // Marked before the claims are let go, so that the next replica to look sees them.
    const failures = handled.flatMap((h) => (h.loginFailures && h.record.username ? [{ uid: h.message.sequence, username: h.record.username, times: h.loginFailures }] : []));
    await markFailures(client, failures);
    await markRefused(
      client,
      handled.filter((h) => h.tokenEmail && !h.message.refusedHere && meaning(h.record.outcome, h.record.reason).refused).map((h) => h.message.sequence),
      options.settings,
    );
    if (claimed) {
      if (safe.length) await within(client, 'STORE', () => client.messageFlagsAdd(uidSet(safe), [HANDLED_KEYWORD], { uid: true }));
      await release(client, claimed.owned);
    }
    await settle(client, safe, mailbox.after, options.log);
  }
  return { handled, highestUid, held: claimed?.held ?? [] };
}
