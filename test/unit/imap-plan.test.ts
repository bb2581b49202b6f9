import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Reason, TrustedVia } from '../../src/pipeline/outcomes.js';
import type { Handled, RawMessage } from '../../src/pipeline/types.js';
import { HANDLED_KEYWORD, plausible, serverQuery, uidSet, type SearchScope } from '../../src/sources/imap/search.js';
import { toSettle } from '../../src/sources/imap/settle.js';

const scope: SearchScope = { mailbox: 'INBOX', uidValidity: '7', since: null, afterUid: 0, forwarders: [], skipHandled: false, maxMessageBytes: 1000 };

test('the server query asks for every known token subject, Salesforce support mail and forwarders', () => {
  const q = serverQuery({ ...scope, forwarders: ['pat@acme.com'] });
  assert.deepEqual(q.or, [{ subject: 'security token' }, { subject: 'セキュリティトークン' }, { from: 'support@', header: { from: 'salesforce.com' } }, { from: 'pat@acme.com' }]);
  assert.equal(q.uid, undefined);
  assert.equal(q.since, undefined);
  assert.equal(q.unKeyword, undefined);
});

test('the server query narrows by UID, date and the handled keyword when asked', () => {
  const since = new Date('2026-11-01T00:00:00Z');
  const q = serverQuery({ ...scope, since, afterUid: 41, skipHandled: true });
  assert.equal(q.uid, '42:*');
  assert.equal(q.since, since);
  assert.equal(q.unKeyword, HANDLED_KEYWORD);
});

test('an envelope is plausible for a token subject, Salesforce support, or a listed forwarder only', () => {
  const env = (subject: string, address: string) => ({ subject, from: [{ address, name: '' }] });
  assert.equal(plausible(env('[EXTERNAL] Fwd: Your new Salesforce security token', 'x@y.com'), []), true);
  assert.equal(plausible(env('Sandbox: 新しい セキュリティトークン', 'x@y.com'), []), true);
  assert.equal(plausible(env('Bonjour', 'support@emea.salesforce.com'), []), true);
  assert.equal(plausible(env('Weekly digest', 'noreply@salesforce.com'), []), false);
  assert.equal(plausible(env('FW: reset', 'pat@acme.com'), ['pat@acme.com']), true);
  assert.equal(plausible(env('Lunch', 'support@salesforce.com.example.io'), []), false);
});

test('UID sets are compact ranges', () => {
  assert.equal(uidSet([9, 1, 2, 3, 7, 10, 3]), '1:3,7,9:10');
  assert.equal(uidSet([5]), '5');
});

test('only token emails whose token is safe are settled', () => {
  const message = (sequence: number): RawMessage => ({ source: `imap:INBOX/7/${sequence}`, receivedAt: null, sequence, size: 1, load: async () => Buffer.alloc(0) });
  const h = (sequence: number, outcome: Handled['record']['outcome'], tokenEmail: boolean, reason?: Reason | TrustedVia, username?: string): Handled => ({
    message: message(sequence),
    record: { outcome, source: '', ...(reason ? { reason } : {}), ...(username ? { username } : {}) },
    tokenEmail,
  });
  const batch = [
    h(1, 'stored', true, 'dkim:salesforce.com', 'a@acme.com'),
    h(2, 'superseded', true, 'newer-token', 'a@acme.com'),
    h(3, 'failed', true, 'store-unavailable:file', 'b@acme.com'),
    h(4, 'superseded', true, 'newer-token', 'b@acme.com'),
    h(5, 'rejected', true, 'untrusted-sender'),
    h(6, 'rejected', true, 'login-rejected:INVALID_LOGIN', 'c@acme.com'),
    h(7, 'ignored', false, 'not-token-email'),
    h(8, 'ignored', true, 'already-applied', 'd@acme.com'),
    h(9, 'superseded', true, 'older-than-applied', 'e@acme.com'),
    h(10, 'ignored', true, 'unknown-user', 'f@acme.com'),
  ];
  assert.deepEqual(toSettle(batch), [1, 2, 8, 9]);
});
