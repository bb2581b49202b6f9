import { createHash } from 'node:crypto';

/** What logs, output and the ledger show in place of a token: never the token itself. */
export type Fingerprint = `sha256:${string}`;

// Twelve hex digits (48 bits) tell tokens apart in a ledger and a log without giving an attacker
// a useful oracle: a 24-character alphanumeric token has ~143 bits of entropy.
const FINGERPRINT_HEX_DIGITS = 12;

export function fingerprint(secret: string): Fingerprint {
  const hex = createHash('sha256').update(secret, 'utf8').digest('hex');
  return `sha256:${hex.slice(0, FINGERPRINT_HEX_DIGITS)}`;
}
