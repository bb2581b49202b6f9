import { isTokenSubject } from './locales.js';
import { extractToken, hasTokenLabels } from './extract.js';
import { htmlToText } from './html.js';
import type { MailHead, ParsedEmail } from './types.js';

// Tags that mail gateways, sandboxes and people put before or after a subject; removed before
// matching, as is trailing punctuation.
const SUBJECT_PREFIX = /^(?:\[[^\]]*\]|\((?:external|extern|ext)[^)]*\)|(?:re|fw|fwd|aw|wg|tr|sv|vs|rv) ?:|sandbox ?:|external ?:) ?/i;
const SUBJECT_SUFFIX = / ?(?:\[[^\]]*\]|\((?:external|extern|ext)[^)]*\)|[.!。])$/i;

export function normalizeSubject(subject: string): string {
  let s = subject.replace(/\s+/g, ' ').trim();
  for (let prev = ''; prev !== s;) {
    prev = s;
    s = s.replace(SUBJECT_PREFIX, '').replace(SUBJECT_SUFFIX, '');
  }
  return s;
}

export function isSalesforceDomain(address: string): boolean {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return domain === 'salesforce.com' || domain.endsWith('.salesforce.com');
}

/**
 * What an email is, as far as can be told before its sender is trusted: a token email (by its
 * subject, or by known labels in mail from Salesforce), possibly one (mail from Salesforce in a
 * language whose labels are unknown: only its structure can tell, and that is read after the
 * trust check), or not one.
 */
type Classification = { kind: 'token'; by: 'subject' | 'label' } | { kind: 'if-structured' } | { kind: 'other' };

/**
 * What the headers alone decide, or null when the body must be read: a token subject makes a
 * token email, and a sender outside Salesforce with another subject makes anything but.
 */
export function classifyHead(head: MailHead): Classification | null {
  if (isTokenSubject(normalizeSubject(head.subject))) return { kind: 'token', by: 'subject' };
  if (!head.from || !isSalesforceDomain(head.from.address)) return { kind: 'other' };
  return null;
}

/**
 * Is this a security-token email at all? Only the question of what the email is; whether it can
 * be trusted is the trust policy's. So a forged or forwarded token email still classifies as
 * one, and is then rejected loudly rather than ignored quietly.
 *
 * A token email has a token email's subject, or comes from Salesforce with a token email's
 * body: a username line and a token line. The words "security token" alone decide nothing:
 * Salesforce's error mail and help digests use them too. Nothing here extracts a value: a
 * stranger's mail reaches the extractor only once it has passed the trust check.
 */
export function classify(email: ParsedEmail): Classification {
  const byHead = classifyHead(email);
  if (byHead) return byHead;
  // The text part first; the HTML part when there is one too (a gateway may have mangled the
  // text part alone).
  if (hasTokenLabels(email.text) || (email.html !== null && hasTokenLabels(htmlToText(email.html)))) return { kind: 'token', by: 'label' };
  return { kind: 'if-structured' };
}

/** After the trust check: whether a maybe-token email has the structure of one. */
export function hasTokenStructure(text: string): boolean {
  const structural = extractToken(text);
  return structural.ok && structural.method === 'structure';
}
