import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, isSalesforceDomain, normalizeSubject } from '../../src/mail/classify.js';
import type { ParsedEmail } from '../../src/mail/types.js';

function email(subject: string, text = 'hello', from = 'support@salesforce.com'): ParsedEmail {
  return { from: { address: from, name: '' }, subject, date: null, messageId: null, text, headerLines: [] };
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
    assert.equal(classify(email(s)).tokenEmail, true, s);
  }
});

test('normalizeSubject strips stacked gateway tags and forward prefixes', () => {
  assert.equal(normalizeSubject('[EXTERNAL] Fwd: Sandbox:  Your new X security token'), 'Your new X security token');
});

test('other Salesforce email is not a token email, even with IDs and a username inside', () => {
  const apex = 'Apex script unhandled exception\nUsername: integration@acme.com\n\nTrace: Ab12Cd34Ef56Gh78Ij90Kl12';
  assert.equal(classify(email('Developer script exception from Acme', apex, 'info@salesforce.com')).tokenEmail, false);
});

test('a token label in the body classifies even with an unfamiliar subject', () => {
  assert.equal(classify(email('Hallo', 'Username: a@b.com\nSecurity token (case-sensitive): x')).tokenEmail, true);
});

test('structure alone counts only for mail from a Salesforce domain', () => {
  const body = 'Benutzername: kunde@acme.de\nSicherheitstoken: aB3dE5fG7hJ9kL1mN2pQ4rS6';
  assert.deepEqual(classify(email('Ihr neues Token', body)), { tokenEmail: true, by: 'structure' });
  assert.equal(classify(email('Ihr neues Token', body, 'x@example.com')).tokenEmail, false);
});

test('isSalesforceDomain accepts the domain and its subdomains only', () => {
  assert.equal(isSalesforceDomain('support@salesforce.com'), true);
  assert.equal(isSalesforceDomain('support@emea.salesforce.com'), true);
  assert.equal(isSalesforceDomain('support@salesforce.com.example.io'), false);
  assert.equal(isSalesforceDomain('support@notsalesforce.com'), false);
});
