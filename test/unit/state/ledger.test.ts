import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ledger, MAX_PROCESSED, MAX_REJECTED } from '../../../src/state/ledger.js';
import { UsageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';

test('the ledger round-trips through a 0600 file', async () => {
  const path = join(await tempDir(), 'nested', 'state.json');
  const ledger = await Ledger.open(path);
  ledger.recordApplied('u@a.com', { fingerprint: 'sha256:aaaaaaaaaaaa', emailDate: '2026-11-01T00:00:00.000Z', messageId: '<m@x>', storedAt: '2026-11-01T00:00:01.000Z' });
  ledger.recordRejected('sha256:bbbbbbbbbbbb', { username: 'u@a.com', reason: 'login-rejected:INVALID_LOGIN', at: '2026-11-01T00:00:00.000Z' });
  await ledger.save();
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const again = await Ledger.open(path);
  assert.equal(again.applied('u@a.com')?.fingerprint, 'sha256:aaaaaaaaaaaa');
  assert.equal(again.rejection('sha256:bbbbbbbbbbbb')?.reason, 'login-rejected:INVALID_LOGIN');
});

test('the ledger stays bounded however long it runs', async () => {
  const ledger = await Ledger.open(join(await tempDir(), 's.json'));
  for (let i = 0; i < MAX_PROCESSED + 50; i++) ledger.recordProcessed({ key: `m${i}`, outcome: 'ignored', at: new Date(i).toISOString() });
  for (let i = 0; i < MAX_REJECTED + 20; i++) {
    ledger.recordRejected(`sha256:${i.toString(16).padStart(12, '0')}`, { username: 'u', reason: 'r', at: new Date(i * 1000).toISOString() });
  }
  const snap = ledger.snapshot();
  assert.equal(snap.processed.length, MAX_PROCESSED);
  assert.equal(snap.processed[0]?.key, 'm50');
  assert.equal(Object.keys(snap.rejected).length, MAX_REJECTED);
  assert.equal(ledger.rejection('sha256:000000000000'), undefined, 'the oldest rejection goes first');
  assert.ok(ledger.rejection(`sha256:${(MAX_REJECTED + 19).toString(16).padStart(12, '0')}`));
});

test('a state file that is not ours is a usage error, and is left untouched', async () => {
  const path = join(await tempDir(), 's.json');
  await writeFile(path, '{"hello": 1}');
  await assert.rejects(Ledger.open(path), UsageError);
  assert.equal(await readFile(path, 'utf8'), '{"hello": 1}');
});

test('two ledgers on one state file keep both sets of changes: each save replays its own on top', async () => {
  const path = join(await tempDir(), 'shared.json');
  const a = await Ledger.open(path);
  const b = await Ledger.open(path);
  a.recordApplied('a@acme.com', { fingerprint: 'sha256:aaaaaaaaaaaa', emailDate: '2026-11-01T00:00:00.000Z', messageId: null, storedAt: '2026-11-01T00:00:01.000Z' });
  b.recordApplied('b@acme.com', { fingerprint: 'sha256:bbbbbbbbbbbb', emailDate: '2026-11-01T00:00:00.000Z', messageId: null, storedAt: '2026-11-01T00:00:01.000Z' });
  await Promise.all([a.save(), b.save()]);
  const merged = await Ledger.open(path);
  assert.deepEqual([merged.applied('a@acme.com')?.fingerprint, merged.applied('b@acme.com')?.fingerprint], ['sha256:aaaaaaaaaaaa', 'sha256:bbbbbbbbbbbb']);
  // Whichever saved first has not seen the other's change yet; its next save brings it in.
  b.recordProcessed({ key: 'x', outcome: 'ignored', at: '2026-11-01T00:00:02.000Z' });
  await b.save();
  assert.equal(b.applied('a@acme.com')?.fingerprint, 'sha256:aaaaaaaaaaaa', 'a save also brings in what the other wrote');
});

test('applying a token clears what was pending for it: a verified mark and a retry', async () => {
  const ledger = await Ledger.open(join(await tempDir(), 's.json'));
  const fp = 'sha256:cccccccccccc' as const;
  ledger.recordVerified(fp, { username: 'c@acme.com', at: '2026-11-01T00:00:00.000Z' });
  ledger.recordRetry(fp, { attempts: 1, nextAttemptAt: '2026-11-01T00:01:00.000Z', reason: 'x' });
  ledger.recordApplied('c@acme.com', { fingerprint: fp, emailDate: '2026-11-01T00:00:00.000Z', messageId: null, storedAt: '2026-11-01T00:00:02.000Z' });
  assert.equal(ledger.verified(fp), undefined);
  assert.equal(ledger.pendingRetry(fp), undefined);
});

test('many saves at once from one process all land, each with what was changed before it, and none is told the file is locked', async () => {
  // A watcher over hundreds of mailboxes saves after each one's first sweep, all at the same
  // moment. Taking turns at the file lock, the last of 600 would wait past its 15 s limit.
  const path = join(await tempDir(), 's.json');
  const ledger = await Ledger.open(path);
  const saves = Array.from({ length: 600 }, async (_, i) => {
    ledger.recordMailbox(`box-${i}`, { uidValidity: '1', lastUid: i, name: `box-${i}` });
    await ledger.save();
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as { mailboxes: Record<string, { lastUid: number }> };
    assert.equal(onDisk.mailboxes[`box-${i}`]?.lastUid, i, `box-${i} is on disk once its save is done`);
  });
  const failures = (await Promise.allSettled(saves)).flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  assert.deepEqual(failures.slice(0, 3), [], `${failures.length} saves failed`);
  assert.equal(Object.keys((await Ledger.open(path)).snapshot().mailboxes).length, 600);
});

test('when a shared save fails, every caller hears of it and the changes wait for the next save', async () => {
  const dir = join(await tempDir(), 'state');
  await mkdir(dir);
  const path = join(dir, 's.json');
  const ledger = await Ledger.open(path);
  // The state folder replaced by a file: no save can be written until it is put back.
  await rm(dir, { recursive: true });
  await writeFile(dir, 'not a folder');
  const saves = [0, 1, 2].map((i) => {
    ledger.recordMailbox(`box-${i}`, { uidValidity: '1', lastUid: i });
    return ledger.save();
  });
  const outcomes = await Promise.allSettled(saves);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['rejected', 'rejected', 'rejected'],
  );
  await rm(dir);
  await mkdir(dir);
  await ledger.save();
  assert.deepEqual(Object.keys((await Ledger.open(path)).snapshot().mailboxes).sort(), ['box-0', 'box-1', 'box-2']);
});
