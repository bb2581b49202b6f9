import { isTokenSubject } from './locales.js';
import { extractToken, hasTokenLabels } from './extract.js';
import { htmlToText } from './html.js';
import type { ParsedEmail } from './types.js';

// Tags that mail gateways, sandboxes and people put before or after a subject; removed before
// matching, as is trailing punctuation.
const SUBJECT_PREFIX = /^(?:\[[^\]]*\]|\((?:external|extern|ext)[^)]*\)|(?:re|fw|fwd|aw|wg|tr|sv|vs|rv) ?:|sandbox ?:|external ?:) ?/i;
const SUBJECT_SUFFIX = / ?(?:\[[^\]]*\]|\((?:external|extern|ext)[^)]*\)|[.!。])$/i;

export function normalizeSubject(subject: string): string {
  let s = subject.replace(/\s+/g, ' ').trim();
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s.replace(SUBJECT_PREFIX, '').replace(SUBJECT_SUFFIX, '');
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
 * be trusted is the trust policy's. So a forged or forwarded token email still classifies as
 * one, and is then rejected loudly rather than ignored quietly.
 *
 * A token email has a token email's subject, or comes from Salesforce with a token email's
 * body: a username line and a token line (known labels, or, in a language whose labels are
 * unknown, a username-shaped value directly followed by a token-shaped one). The words
 * "security token" alone decide nothing: Salesforce's error mail and help digests use them too.
 */
export function classify(email: ParsedEmail): Classification {
  if (isTokenSubject(normalizeSubject(email.subject))) return { tokenEmail: true, by: 'subject' };
  if (!email.from || !isSalesforceDomain(email.from.address)) return { tokenEmail: false };
  // The text part first; the HTML part when there is one too and the text part shows no shape
  // (a gateway may have mangled the text part alone).
  const shaped = (text: string): Classification | null => {
    if (hasTokenLabels(text)) return { tokenEmail: true, by: 'label' };
    const structural = extractToken(text);
    return structural.ok && structural.method === 'structure' ? { tokenEmail: true, by: 'structure' } : null;
  };
  return shaped(email.text) ?? (email.html ? shaped(htmlToText(email.html)) : null) ?? { tokenEmail: false };
}
