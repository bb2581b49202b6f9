import { isTokenSubject } from './locales.js';
import { extractToken, hasTokenLabel } from './extract.js';
import type { ParsedEmail } from './types.js';

// Tags that mail gateways, sandboxes and people put before a subject; removed before matching.
const SUBJECT_PREFIX = /^\s*(?:\[[^\]]*\]|\((?:external|extern|ext)[^)]*\)|(?:re|fw|fwd|aw|wg|tr|sv|vs|rv)\s*:|sandbox\s*:|external\s*:)\s*/i;

export function normalizeSubject(subject: string): string {
  let s = subject.replace(/\s+/g, ' ').trim();
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(SUBJECT_PREFIX, '');
  }
  return s;
}

export function isSalesforceDomain(address: string): boolean {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return domain === 'salesforce.com' || domain.endsWith('.salesforce.com');
}

type Classification = { tokenEmail: true; by: 'subject' | 'label' | 'structure' } | { tokenEmail: false };

/**
 * Is this a security-token email at all? Only the question of what the email is; whether it can
 * be trusted is authenticate's. So a forged or forwarded token email still classifies as one,
 * and is then rejected loudly rather than ignored quietly.
 */
export function classify(email: ParsedEmail): Classification {
  const subject = normalizeSubject(email.subject);
  if (isTokenSubject(subject)) return { tokenEmail: true, by: 'subject' };
  if (hasTokenLabel(email.text)) return { tokenEmail: true, by: 'label' };
  // In a language whose labels are unknown, only mail from Salesforce's own domain is read for
  // its structure: anyone else's mail full of IDs is simply not a token email.
  if (email.from && isSalesforceDomain(email.from.address)) {
    const structural = extractToken(email.text);
    if (structural.ok && structural.method === 'structure') return { tokenEmail: true, by: 'structure' };
  }
  return { tokenEmail: false };
}
