import { isSalesforceDomain } from './classify.js';
import type { ParsedEmail } from './types.js';

export type TrustMode = 'dkim' | 'auth-results' | 'sender';
export const TRUST_MODES: readonly TrustMode[] = ['dkim', 'auth-results', 'sender'];

export type TrustDecision = { trusted: true; via: string } | { trusted: false; reason: string } | { transient: true; reason: string };

/** What a trust policy looks at: the parsed email and the bytes as received. */
export interface AuthenticInput {
  email: ParsedEmail;
  raw: Buffer;
}

export type TrustPolicy = (input: AuthenticInput) => Promise<TrustDecision>;

/**
 * `--trust sender`: the From address is at salesforce.com or a subdomain. The address is what
 * counts, never the display name, and a message with several From fields is refused outright,
 * since clients disagree on which one they show. Weak by nature: anyone can write a From line.
 */
export const senderPolicy: TrustPolicy = async ({ email }) => {
  const fromFields = email.headerLines.filter((h) => h.key === 'from').length;
  if (!email.from || fromFields !== 1) return { trusted: false, reason: 'untrusted-sender' };
  if (!isSalesforceDomain(email.from.address)) return { trusted: false, reason: 'untrusted-sender' };
  return { trusted: true, via: `sender:${email.from.address.split('@')[1]}` };
};
