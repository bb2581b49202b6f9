import type { ImapFlow } from 'imapflow';
import type { ReplicaSettings } from '../../config/index.js';
import { UsageError } from '../../util/errors.js';
import { within } from './deadline.js';
import { HANDLED_KEYWORD, uidSet } from './search.js';

// A claim is a keyword that names its own expiry and its holder: $SftokenClaim_<unix s>_<id>.
// The expiry lives in the keyword because replicas share nothing but the mailbox.
const CLAIM_PREFIX = '$SftokenClaim_';
/** A token email a replica refused: another replica must not try it again (a second failed login). */
export const REFUSED_KEYWORD = '$SftokenRefused';

interface ClaimKeyword {
  expiresAt: number;
  holder: string;
}

export function parseClaim(keyword: string): ClaimKeyword | null {
  if (!keyword.startsWith(CLAIM_PREFIX)) return null;
  const [seconds, ...holder] = keyword.slice(CLAIM_PREFIX.length).split('_');
  const expiresAt = Number(seconds) * 1000;
  return Number.isFinite(expiresAt) && holder.length ? { expiresAt, holder: holder.join('_') } : null;
}

export function claimKeyword(settings: ReplicaSettings, now: number): string {
  return `${CLAIM_PREFIX}${Math.ceil((now + settings.expiryMs) / 1000)}_${settings.replicaId}`;
}

/** Replicas are only safe where a STORE can be made conditional (RFC 7162); say so at start. */
export function requireCondstore(client: ImapFlow, mailbox: string): void {
  if (!client.enabled.has('CONDSTORE') || client.mailbox === false || client.mailbox.noModseq) {
    throw new UsageError(`mailbox "${mailbox}": the server does not offer CONDSTORE, so replicas cannot claim messages safely; run one watcher for it, or drop "replicas"`);
  }
}

export interface Claims {
  /** Candidates this replica now holds, with the keyword it holds each by. */
  owned: Map<number, string>;
  /** Candidates another live replica holds: to be looked at again later. */
  held: number[];
  /** Candidates another replica finished (settled or refused): nothing left to do here. */
  finished: number[];
}

// imapflow asks for MODSEQ on every FETCH once CONDSTORE is enabled.
type Seen = { uid: number; flags: Set<string>; modseq: bigint | undefined };

async function flagsOf(client: ImapFlow, uids: readonly number[]): Promise<Seen[]> {
  if (uids.length === 0) return [];
  return within(client, 'FETCH of flags', async () => {
    const wanted = new Set(uids);
    const out: Seen[] = [];
    // Another replica's STORE may show up as an unsolicited FETCH without a UID: not an answer.
    for await (const m of client.fetch(uidSet(uids), { uid: true, flags: true }, { uid: true })) if (wanted.has(m.uid)) out.push({ uid: m.uid, flags: m.flags ?? new Set(), modseq: m.modseq });
    return out;
  });
}

/**
 * Claims each candidate before anything is read or tried (DESIGN §2a, item 6): a conditional
 * `UID STORE … (UNCHANGEDSINCE <modseq>) +FLAGS (<claim>)`, which fails for every replica but
 * the first, as the first one's STORE moved the message's mod-sequence. Whether the claim
 * took is read back from the server, not from the STORE's answer. A claim past its expiry
 * (its holder died) is taken over the same way, and the stale keyword then removed.
 */
export async function claim(client: ImapFlow, uids: readonly number[], settings: ReplicaSettings, options: { relook: boolean; now?: number }): Promise<Claims> {
  const now = options.now ?? Date.now();
  const mine = claimKeyword(settings, now);
  const result: Claims = { owned: new Map(), held: [], finished: [] };
  const tried: Array<{ uid: number; stale: string[] }> = [];
  for (const m of await flagsOf(client, uids)) {
    if (m.flags.has(HANDLED_KEYWORD) || (m.flags.has(REFUSED_KEYWORD) && !options.relook)) {
      result.finished.push(m.uid);
      continue;
    }
    const claims = [...m.flags].filter((f) => parseClaim(f) !== null);
    if (claims.some((f) => (parseClaim(f)?.expiresAt ?? 0) > now)) {
      result.held.push(m.uid);
      continue;
    }
    if (m.modseq === undefined) throw new UsageError('the server gave no MODSEQ: replicas cannot claim messages safely');
    const unchangedSince = m.modseq;
    await within(client, 'STORE of a claim', () => client.messageFlagsAdd(String(m.uid), [mine], { uid: true, unchangedSince }));
    tried.push({ uid: m.uid, stale: claims });
  }
  const after = new Map(
    (
      await flagsOf(
        client,
        tried.map((t) => t.uid),
      )
    ).map((m) => [m.uid, m.flags]),
  );
  for (const { uid, stale } of tried) {
    const flags = after.get(uid);
    if (!flags) continue; // gone meanwhile: settled by another replica
    const others = [...flags].filter((f) => f !== mine && (parseClaim(f)?.expiresAt ?? 0) > now);
    if (!flags.has(mine) || others.length) {
      result.held.push(uid);
      continue;
    }
    result.owned.set(uid, mine);
    if (stale.length) await within(client, 'STORE of a claim', () => client.messageFlagsRemove(String(uid), stale, { uid: true }));
  }
  return result;
}

/**
 * After the batch: refused token emails are marked so that no other replica tries them again,
 * and every claim this replica holds is let go (settled mail carries the handled keyword by
 * then, which every replica's search leaves out).
 */
export async function release(client: ImapFlow, owned: ReadonlyMap<number, string>, refused: readonly number[]): Promise<void> {
  if (refused.length) await within(client, 'STORE', () => client.messageFlagsAdd(uidSet(refused), [REFUSED_KEYWORD], { uid: true }));
  const byKeyword = new Map<string, number[]>();
  for (const [uid, keyword] of owned) byKeyword.set(keyword, [...(byKeyword.get(keyword) ?? []), uid]);
  for (const [keyword, list] of byKeyword) await within(client, 'STORE', () => client.messageFlagsRemove(uidSet(list), [keyword], { uid: true }));
}
