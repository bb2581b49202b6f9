import { test } from 'node:test';
import assert from 'node:assert/strict';
import { senderPolicy } from '../../../src/trust/policy.js';
import type { ParsedEmail } from '../../../src/mail/types.js';

function input(from: ParsedEmail['from'], fromFields = 1) {
  const email: ParsedEmail = {
    from,
    subject: 'Your new Salesforce security token',
    date: null,
    messageId: null,
    text: '',
    html: null,
    headerLines: Array.from({ length: fromFields }, () => ({ key: 'from', line: 'From: x' })),
  };
  return { email, raw: Buffer.alloc(0) };
}

test('the sender policy trusts salesforce.com and its subdomains', async () => {
  assert.deepEqual(await senderPolicy(input({ address: 'support@salesforce.com', name: '' })), { kind: 'trusted', via: 'sender:salesforce.com' });
  assert.deepEqual(await senderPolicy(input({ address: 'support@emea.salesforce.com', name: '' })), { kind: 'trusted', via: 'sender:emea.salesforce.com' });
});

test('the sender policy looks at the address, never the display name', async () => {
  const r = await senderPolicy(input({ address: 'alerts@evil-mail.io', name: 'support@salesforce.com' }));
  assert.deepEqual(r, { kind: 'untrusted', reason: 'untrusted-sender' });
});

test('the sender policy refuses look-alike domains, no sender and several From fields', async () => {
  assert.equal((await senderPolicy(input({ address: 'support@salesforce.com.example.io', name: '' }))).kind, 'untrusted');
  assert.equal((await senderPolicy(input(null))).kind, 'untrusted');
  assert.equal((await senderPolicy(input({ address: 'support@salesforce.com', name: '' }, 2))).kind, 'untrusted');
});
