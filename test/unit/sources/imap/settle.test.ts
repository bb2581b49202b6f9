import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Reason, TrustedVia } from '../../../../src/pipeline/outcomes.js';
import type { Handled, RawMessage } from '../../../../src/pipeline/types.js';
import { toSettle } from '../../../../src/sources/imap/settle.js';

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
