import { test } from 'node:test';
import assert from 'node:assert/strict';
import { select, type Contender, type LedgerView } from '../../../src/pipeline/select.js';

const emptyLedger: LedgerView = { applied: () => undefined, rejection: () => undefined };
const at = (iso: string) => new Date(iso);
function c(username: string, fp: string, date: string, sequence = 0, receivedAt: string | null = null): Contender {
  return { username, fingerprint: `sha256:${fp}`, date: at(date), orderTime: at(date), receivedAt: receivedAt ? at(receivedAt) : null, sequence };
}

test('of several tokens for one user the newest is tried first, an older one only in a later turn', () => {
  const old = c('u@a.com', 'aaa', '2026-11-01T08:00:00Z');
  const mid = c('u@a.com', 'bbb', '2026-11-01T12:00:00Z');
  const newest = c('u@a.com', 'ccc', '2026-11-01T17:00:00Z');
  const s = select([newest, old, mid], emptyLedger);
  assert.deepEqual(s.get(newest), { decision: 'try', turn: 0 });
  assert.deepEqual(s.get(mid), { decision: 'try', turn: 1 });
  assert.deepEqual(s.get(old), { decision: 'try', turn: 2 });
});

test('the order is the order time, not the Date an email says: a later Date on an older signature does not go first', () => {
  const genuine = { ...c('u@a.com', 'new', '2026-11-01T17:00:00Z'), orderTime: at('2026-11-01T17:00:00Z') };
  const forged = { ...c('u@a.com', 'old', '2026-12-31T00:00:00Z'), orderTime: at('2026-10-01T00:00:00Z') };
  const s = select([forged, genuine], emptyLedger);
  assert.deepEqual(s.get(genuine), { decision: 'try', turn: 0 });
  assert.deepEqual(s.get(forged), { decision: 'try', turn: 1 });
});

test('users are selected independently', () => {
  const a = c('a@a.com', 'aaa', '2026-11-01T08:00:00Z');
  const b = c('b@a.com', 'bbb', '2026-11-01T08:00:00Z');
  const s = select([a, b], emptyLedger);
  assert.deepEqual(
    [s.get(a), s.get(b)],
    [
      { decision: 'try', turn: 0 },
      { decision: 'try', turn: 0 },
    ],
  );
});

test('equal dates fall back to the receive time, then the source order', () => {
  const first = c('u@a.com', 'aaa', '2026-11-01T08:00:00Z', 5, '2026-11-01T08:01:00Z');
  const second = c('u@a.com', 'bbb', '2026-11-01T08:00:00Z', 1, '2026-11-01T08:02:00Z');
  assert.deepEqual(select([first, second], emptyLedger).get(second), { decision: 'try', turn: 0 });
  const x = c('u@a.com', 'xxx', '2026-11-01T08:00:00Z', 1);
  const y = c('u@a.com', 'yyy', '2026-11-01T08:00:00Z', 2);
  assert.deepEqual(select([x, y], emptyLedger).get(y), { decision: 'try', turn: 0 });
});

test('a token older than the applied one is superseded; the applied one itself is not redone', () => {
  const ledger: LedgerView = {
    applied: () => ({ fingerprint: 'sha256:ccc', emailDate: '2026-11-02T00:00:00.000Z', messageId: null, storedAt: '' }),
    rejection: () => undefined,
  };
  const older = c('u@a.com', 'aaa', '2026-11-01T00:00:00Z');
  const same = c('u@a.com', 'ccc', '2026-11-02T00:00:00Z');
  assert.deepEqual(select([older], ledger).get(older), { decision: 'skip', reason: 'older-than-applied' });
  assert.deepEqual(select([same], ledger).get(same), { decision: 'skip', reason: 'already-applied' });
});

test('a rejected token is never tried again', () => {
  const ledger: LedgerView = { applied: () => undefined, rejection: (fp) => (fp === 'sha256:bad' ? { username: 'u@a.com', reason: 'x', at: '' } : undefined) };
  const bad = c('u@a.com', 'bad', '2026-11-01T00:00:00Z');
  assert.deepEqual(select([bad], ledger).get(bad), { decision: 'skip', reason: 'already-rejected' });
});

test('two copies of the same token email are one token, not a supersession', () => {
  const a = c('u@a.com', 'aaa', '2026-11-01T00:00:00Z', 1);
  const copy = c('u@a.com', 'aaa', '2026-11-01T00:00:00Z', 2);
  const s = select([a, copy], emptyLedger);
  assert.deepEqual(s.get(copy), { decision: 'try', turn: 0 });
  assert.deepEqual(s.get(a), { decision: 'skip', reason: 'duplicate' });
});

test('equal order and receiving times fall to the top Received field before the source order', () => {
  const x = { ...c('u@a.com', 'xxx', '2026-11-01T08:00:00Z', 2), receivedHeader: at('2026-11-01T08:01:00Z') };
  const y = { ...c('u@a.com', 'yyy', '2026-11-01T08:00:00Z', 1), receivedHeader: at('2026-11-01T08:02:00Z') };
  assert.deepEqual(select([x, y], emptyLedger).get(y), { decision: 'try', turn: 0 });
});
