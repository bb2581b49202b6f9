import { Resolver } from 'node:dns/promises';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { aligned, type Prover } from './policy.js';
import { keyDomain, type DkimKeys } from './dkim-keys.js';

// A key lookup that takes longer than this is a DNS failure (transient), not a verdict.
const DNS_TIMEOUT_MS = 3000;
const DNS_TRIES = 2;

type TxtResolver = (name: string, rrtype: string) => Promise<string[][]>;

function notFound(name: string): Error {
  return Object.assign(new Error(`no pinned key for ${name}`), { code: 'ENOTFOUND' });
}

/**
 * Keys from --dkim-keys first. A domain with any pinned key is answered from the file alone
 * (that is what pinning means); other domains go to DNS.
 */
export function keysResolver(keys: DkimKeys, dns: TxtResolver): TxtResolver {
  const pinnedDomains = new Set([...keys.keys()].map(keyDomain));
  return async (name, rrtype) => {
    const key = name.toLowerCase().replace(/\.$/, '');
    const value = keys.get(key);
    if (rrtype === 'TXT' && value) return [[value]];
    if (key.includes('._domainkey.') && pinnedDomains.has(keyDomain(key))) throw notFound(name);
    return dns(name, rrtype);
  };
}

function systemDns(): TxtResolver {
  const resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: DNS_TRIES });
  // Only TXT records are asked for (DKIM keys), and a TXT answer is a list of string chunks.
  return (name, rrtype) => resolver.resolve(name, rrtype) as Promise<string[][]>;
}

/**
 * `--trust dkim`: a DKIM signature that verifies over the whole body, whose d= is accepted and
 * aligned with the From domain. A signature limited by l= to part of the body does not count:
 * anything could follow the signed part. DNS trouble is transient, never a verdict.
 */
export function dkimProver(keys: DkimKeys, dns: TxtResolver = systemDns()): Prover {
  const resolver = keysResolver(keys, dns);
  return async ({ raw }, fromDomain, accepts) => {
    const { results } = await dkimVerify(raw, { resolver });
    // An unsigned message comes back as a single result whose status is "none".
    if (results.every((r) => r.status.result === 'none')) return { kind: 'untrusted', reason: 'dkim-missing' };
    const passing = results.filter((r) => r.status.result === 'pass' && !r.status.underSized);
    const good = passing.find((r) => accepts(r.signingDomain) && aligned(r.signingDomain, fromDomain));
    if (good) {
      // mailauth's result carries signTime (the t= tag, ISO) though its type declaration omits it.
      const signTime: unknown = (good as { signTime?: unknown }).signTime;
      const signedAt = typeof signTime === 'string' ? new Date(signTime) : null;
      return { kind: 'trusted', via: `dkim:${good.signingDomain.toLowerCase()}`, ...(signedAt && !Number.isNaN(signedAt.getTime()) ? { signedAt } : {}) };
    }
    if (passing.length) return { kind: 'untrusted', reason: 'dkim-unaligned' };
    if (results.some((r) => r.status.result === 'temperror')) return { kind: 'transient', reason: 'dkim-temperror' };
    return { kind: 'untrusted', reason: `dkim-fail:${failureKind(results.map((r) => r.status))}` };
  };
}

/**
 * Why no signature verified, in words a person can act on: the body changed on the way (a
 * gateway rewrote it), the signature itself is wrong, or DNS has no key for it. The first
 * signature's reason is given; several signatures rarely fail for different reasons.
 */
function failureKind(statuses: ReadonlyArray<{ result: string; comment?: string | false; underSized?: unknown }>): string {
  const [first] = statuses.filter((s) => s.result !== 'none');
  if (!first) return 'signature';
  if (first.underSized) return 'partial-body';
  const comment = typeof first.comment === 'string' ? first.comment : '';
  if (/body hash/i.test(comment)) return 'body-hash';
  if (/no key/i.test(comment)) return 'no-key';
  if (/expir/i.test(comment)) return 'expired';
  if (first.result === 'policy') return 'weak-key';
  if (/key/i.test(comment)) return 'bad-key';
  return 'signature';
}
