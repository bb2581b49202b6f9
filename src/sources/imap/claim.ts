import type { ImapFlow } from 'imapflow';
import type { ReplicaSettings } from '../../config/index.js';
import { UsageError } from '../../util/errors.js';
import { within } from './deadline.js';
import { HANDLED_KEYWORD, uidSet } from './search.js';

// A claim is a keyword that names its holder (and, for a person reading the flags, the expiry its
// holder meant): $SftokenClaim_<unix s>_<id>. Replicas share nothing but the mailbox.
const CLAIM_PREFIX = '$SftokenClaim_';

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

/**
 * When this process first saw each claim on each message, by its own monotonic clock. A claim is
 * judged expired only once this process has itself watched it stand for the claim expiry: the
 * time written in the keyword is another machine's clock, and a replica whose clock runs ahead
 * (measured: 600 s) must not take over a fresh claim and log in a second time.
 */
export class ClaimSightings {
  private readonly seen = new Map<string, number>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  now(): number {
    return this.clock();
  }

  /** Whether `keyword` on `uid` has stood for less than `expiryMs` since this process first saw it. */
  live(uid: number, keyword: string, expiryMs: number): boolean {
    const key = `${uid} ${keyword}`;
    const now = this.clock();
    const first = this.seen.get(key) ?? now;
    this.seen.set(key, first);
    return now - first < expiryMs;
  }

  forget(uid: number, keyword: string): void {
    this.seen.delete(`${uid} ${keyword}`);
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
 * took is read back from the server, not from the STORE's answer. A claim this process has seen
 * stand past the expiry (its holder died or froze) is taken over the same way, and the stale
 * keyword then removed. A message refused under these settings (`refused`) is finished.
 */
export async function claim(client: ImapFlow, uids: readonly number[], settings: ReplicaSettings, options: { refused: string; sightings: ClaimSightings }): Promise<Claims> {
  const { sightings } = options;
  const mine = claimKeyword(settings, Date.now());
  const result: Claims = { owned: new Map(), held: [], finished: [] };
  const liveClaims = (uid: number, flags: Set<string>, except?: string) => [...flags].filter((f) => f !== except && parseClaim(f) !== null && sightings.live(uid, f, settings.expiryMs));
  // Claimed in ascending UID order, one at a time, stopping at the first one another replica
  // holds: every replica starts at the same lowest UID, so its conditional STORE decides which one
  // works the mailbox now, and two replicas never log in side by side (each would spend the
  // user's failed-login budget before seeing the other's marks).
  let yielded = false;
  for (const m of (await flagsOf(client, uids)).sort((a, b) => a.uid - b.uid)) {
    if (m.flags.has(HANDLED_KEYWORD) || m.flags.has(options.refused)) {
      result.finished.push(m.uid);
      continue;
    }
    if (yielded || liveClaims(m.uid, m.flags).length) {
      yielded = true;
      result.held.push(m.uid);
      continue;
    }
    if (m.modseq === undefined) throw new UsageError('the server gave no MODSEQ: replicas cannot claim messages safely');
    const unchangedSince = m.modseq;
    const stale = [...m.flags].filter((f) => parseClaim(f) !== null);
    await within(client, 'STORE of a claim', () => client.messageFlagsAdd(String(m.uid), [mine], { uid: true, unchangedSince }));
    const [after] = await flagsOf(client, [m.uid]);
    if (!after) continue; // gone meanwhile: settled by another replica
    if (!after.flags.has(mine) || liveClaims(m.uid, after.flags, mine).length) {
      yielded = true;
      result.held.push(m.uid);
      continue;
    }
    result.owned.set(m.uid, mine);
    if (stale.length) {
      await within(client, 'STORE of a claim', () => client.messageFlagsRemove(String(m.uid), stale, { uid: true }));
      for (const k of stale) sightings.forget(m.uid, k);
    }
  }
  return result;
}

/** Whether this replica still holds `uid` by `keyword`: asked just before a destination is written. */
export async function stillHeld(client: ImapFlow, uid: number, keyword: string): Promise<boolean> {
  const [seen] = await flagsOf(client, [uid]);
  return seen !== undefined && seen.flags.has(keyword) && !seen.flags.has(HANDLED_KEYWORD);
}

/**
 * After the batch (its refusals and failed logins already marked): every claim this replica holds
 * is let go (settled mail carries the handled keyword by then, which every replica's search leaves out).
 */
export async function release(client: ImapFlow, owned: ReadonlyMap<number, string>): Promise<void> {
  const byKeyword = new Map<string, number[]>();
  for (const [uid, keyword] of owned) byKeyword.set(keyword, [...(byKeyword.get(keyword) ?? []), uid]);
  for (const [keyword, list] of byKeyword) await within(client, 'STORE', () => client.messageFlagsRemove(uidSet(list), [keyword], { uid: true }));
}
