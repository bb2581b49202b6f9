import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, hasTokenStructure, isSalesforceDomain, normalizeSubject } from '../../../src/mail/classify.js';
import type { ParsedEmail } from '../../../src/mail/types.js';

/** Classified as the pipeline does: before trust, then by structure for what may be one. */
function isTokenEmail(e: ParsedEmail): boolean {
  const c = classify(e);
  return c.kind === 'token' || (c.kind === 'if-structured' && hasTokenStructure(e.text));
}

function email(subject: string, text = 'hello', from = 'support@salesforce.com'): ParsedEmail {
  return { from: { address: from, name: '' }, subject, date: null, messageId: null, text, html: null, headerLines: [] };
}

test('subject variants seen in the wild all classify as token emails', () => {
  for (const s of [
    'Your new Salesforce security token',
    'Sandbox: Your new Salesforce security token',
    '[EXTERNAL] Your new Salesforce security token',
    '(External Email) Your new Salesforce security token',
    'FW: Fwd: RE: Your new Salesforce security token',
    'Your new Acme Partner Portal security token',
    'salesforce.com security token confirmation',
    '新しい Salesforce セキュリティトークン',
  ]) {
    assert.equal(isTokenEmail(email(s)), true, s);
  }
});

test('normalizeSubject strips stacked gateway tags and forward prefixes', () => {
  assert.equal(normalizeSubject('[EXTERNAL] Fwd: Sandbox:  Your new X security token'), 'Your new X security token');
});

test('other Salesforce email is not a token email, even with IDs and a username inside', () => {
  const apex = 'Apex script unhandled exception\nUsername: integration@acme.com\n\nTrace: Ab12Cd34Ef56Gh78Ij90Kl12';
  assert.equal(isTokenEmail(email('Developer script exception from Acme', apex, 'info@salesforce.com')), false);
});

test('a token label in the body classifies even with an unfamiliar subject', () => {
  assert.equal(isTokenEmail(email('Hallo', 'Username: a@b.com\nSecurity token (case-sensitive): x')), true);
});

test('structure alone counts only for mail from a Salesforce domain', () => {
  const body = 'Benutzername: kunde@acme.de\nSicherheitstoken: aB3dE5fG7hJ9kL1mN2pQ4rS6';
  assert.deepEqual(classify(email('Ihr neues Token', body)), { kind: 'if-structured' }, 'read for its structure only after the trust check');
  assert.equal(isTokenEmail(email('Ihr neues Token', body)), true);
  assert.equal(isTokenEmail(email('Ihr neues Token', body, 'x@example.com')), false);
});

test('isSalesforceDomain accepts the domain and its subdomains only', () => {
  assert.equal(isSalesforceDomain('support@salesforce.com'), true);
  assert.equal(isSalesforceDomain('support@emea.salesforce.com'), true);
  assert.equal(isSalesforceDomain('support@salesforce.com.example.io'), false);
  assert.equal(isSalesforceDomain('support@notsalesforce.com'), false);
});

test("Salesforce's own mail that quotes the words is not a token email", () => {
  const fault = 'INVALID_LOGIN: Invalid username, password, security token; or user locked out.';
  const apex = `Apex script unhandled exception by user/organization: 0055g00000AbCdE\n\ncaused by: System.CalloutException: ${fault}\nUsername: integration@acme.com`;
  assert.equal(isTokenEmail(email(`Developer script exception from Acme : Sync : ${fault}`, apex, 'info@salesforce.com')), false);
  assert.equal(isTokenEmail(email(`Sandbox: Developer script exception from Acme : ${fault}`, apex, 'noreply@salesforce.com')), false);
  const digest = 'Did you know? Reset your security token from your personal settings.\nExample: aB3dE5fG7hJ9kL1mN2pQ4rS6';
  assert.equal(isTokenEmail(email('How to reset your security token', digest, 'info@salesforce.com')), false);
  assert.equal(isTokenEmail(email('Trailhead: security tokens explained', digest, 'info@salesforce.com')), false);
});

test('a token email subject counts with gateway tags on either side and trailing punctuation', () => {
  assert.equal(isTokenEmail(email('Your new Salesforce security token [EXTERNAL]')), true);
  assert.equal(isTokenEmail(email('Your new Salesforce security token.')), true);
});

test('labels alone from someone other than Salesforce do not make a token email', () => {
  assert.equal(isTokenEmail(email('notes', 'Username: a@b.com\nSecurity token (case-sensitive): aB3dE5fG7hJ9kL1mN2pQ4rS6', 'pat@acme.com')), false);
  assert.equal(isTokenEmail(email('notes', 'Security token (case-sensitive): aB3dE5fG7hJ9kL1mN2pQ4rS6')), false, 'a token line without a username line');
});
