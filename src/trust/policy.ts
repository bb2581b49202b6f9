import { isSalesforceDomain } from '../mail/classify.js';
import type { MailHead } from '../mail/types.js';
import type { ReasonOf, TrustedVia } from '../pipeline/outcomes.js';

export type TrustMode = 'dkim' | 'auth-results' | 'sender';
export const TRUST_MODES: readonly TrustMode[] = ['dkim', 'auth-results', 'sender'];

/** What a trust policy decided: one shape, told apart by `kind`. */
export type TrustDecision =
  /** `signedAt`: the trusted DKIM signature's t=, when it has one: a time its sender cannot move. */
  | { kind: 'trusted'; via: TrustedVia; signedAt?: Date }
  | { kind: 'untrusted'; reason: ReasonOf<'rejected'> }
  /** The question could not be answered now (DNS did not reply): ask again later. */
  | { kind: 'transient'; reason: ReasonOf<'failed'> };

/** What a trust policy looks at: the header section (never the body text) and the bytes as received. */
interface AuthenticInput {
  email: MailHead;
  raw: Buffer;
}

export type TrustPolicy = (input: AuthenticInput) => Promise<TrustDecision>;

/**
 * One way of proving that a message comes from a domain that `accepts` names and that the From
 * domain belongs to. The same question serves Salesforce itself and a trusted forwarder.
 */
export type Prover = (input: AuthenticInput, fromDomain: string, accepts: (domain: string) => boolean) => Promise<TrustDecision>;

// The local parts Salesforce sends security-token notices from (DESIGN §4: support@salesforce.com,
// support@emea.salesforce.com); noreply@ and info@ send its other system mail.
const TOKEN_NOTICE_SENDERS: readonly string[] = ['support'];

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * Relaxed alignment without a public-suffix list: the same domain, one inside the other, or both
 * Salesforce's. The domains compared here are Salesforce's or ones an admin listed.
 */
export function aligned(signing: string, from: string): boolean {
  const d = signing.toLowerCase();
  const f = from.toLowerCase();
  return d === f || f.endsWith(`.${d}`) || d.endsWith(`.${f}`) || (isSalesforceDomain(`x@${d}`) && isSalesforceDomain(`x@${f}`));
}

/** `--trust sender`: the From domain itself. Weak by nature: anyone can write a From line. */
export const senderProver: Prover = async (_input, fromDomain, accepts) => (accepts(fromDomain) ? { kind: 'trusted', via: `sender:${fromDomain}` } : { kind: 'untrusted', reason: 'untrusted-sender' });

/**
 * Whether mail from this address could pass any policy at all: a Salesforce address, or a listed
 * forwarder (lower-case). Anything else is an untrusted sender, whatever the message holds, so
 * a source may judge it by its headers alone.
 */
export function canBeTrusted(address: string, forwarders: readonly string[]): boolean {
  return isSalesforceDomain(address) || forwarders.includes(address);
}

interface PolicyParts {
  prover: Prover;
  /** Addresses whose hand-forwarded token emails are trusted when their own mail proves itself. */
  trustedForwarders: readonly string[];
}

/**
 * The trust policy: Salesforce mail must prove itself by the chosen prover; a listed forwarder's
 * mail must prove its own domain the same way; anything else is an untrusted sender. The address
 * counts, never the display name, and several From fields are refused outright, since clients
 * disagree on which one they show.
 */
export function trustPolicy({ prover, trustedForwarders }: PolicyParts): TrustPolicy {
  const forwarders = trustedForwarders.map((a) => a.toLowerCase());
  return async (input) => {
    const { email } = input;
    const fromFields = email.headerLines.filter((h) => h.key === 'from').length;
    if (!email.from || fromFields !== 1) return { kind: 'untrusted', reason: 'untrusted-sender' };
    const fromDomain = domainOf(email.from.address);
    if (isSalesforceDomain(email.from.address)) {
      const decision = await prover(input, fromDomain, (d) => isSalesforceDomain(`x@${d}`));
      // Salesforce also sends mail whose content others shape (Apex exception mail quotes the
      // exception, orgs send mail through it): a proven signature says who sent it, not that it
      // is a token notice. Those come from the support address alone (regional ones included).
      const local = email.from.address.slice(0, email.from.address.lastIndexOf('@'));
      if (decision.kind === 'trusted' && !TOKEN_NOTICE_SENDERS.includes(local)) return { kind: 'untrusted', reason: 'unexpected-sender' };
      return decision;
    }
    if (!canBeTrusted(email.from.address, forwarders)) return { kind: 'untrusted', reason: 'untrusted-sender' };
    const decision = await prover(input, fromDomain, (d) => aligned(d, fromDomain));
    // The forwarder's own signature dates the forward, not Salesforce's email: it does not order tokens.
    return decision.kind === 'trusted' ? { kind: 'trusted', via: `forwarder:${email.from.address}+${decision.via}` } : decision;
  };
}

/** The policy of `--trust sender`, with no forwarders: what replaying saved files needs. */
export const senderPolicy: TrustPolicy = trustPolicy({ prover: senderProver, trustedForwarders: [] });
