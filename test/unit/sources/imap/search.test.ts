import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HANDLED_KEYWORD, plausible, serverQuery, uidSet, type SearchScope } from '../../../../src/sources/imap/search.js';

const scope: SearchScope = { mailbox: 'INBOX', uidValidity: '7', since: null, afterUid: 0, forwarders: [], skipHandled: false, refused: '$SftokenRefused_0000000000000000', maxMessageBytes: 1000 };

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
