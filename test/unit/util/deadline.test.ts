import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stopped, sleep, withDeadline } from '../../../src/util/deadline.js';

// Time is driven, not waited for: node:test's mock timers move the clock.

test('work that ends in time gives its result, and leaves no timer behind', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const result = await withDeadline(1000, async () => 'done', { expired: () => new Error('late') });
  assert.equal(result, 'done');
  t.mock.timers.tick(2000);
});

test('past the deadline the wait fails at once, after onExpire, and the work is told through its signal', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let expired = false;
  let told = '';
  const waiting = withDeadline(
    1000,
    (signal) =>
      new Promise<never>(() => {
        signal.addEventListener('abort', () => {
          told = String(signal.reason);
        });
      }),
    { onExpire: () => (expired = true), expired: () => new Error('no answer within 1 s') },
  );
  t.mock.timers.tick(999);
  assert.equal(expired, false);
  t.mock.timers.tick(1);
  await assert.rejects(waiting, /no answer within 1 s/);
  assert.equal(expired, true);
  assert.match(told, /no answer within 1 s/);
});

test('a stop ends the wait at once with Stopped, before the deadline', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const stop = new AbortController();
  const waiting = withDeadline(60_000, () => new Promise<never>(() => undefined), { signal: stop.signal, expired: () => new Error('late') });
  stop.abort();
  await assert.rejects(waiting, Stopped);
  const already = withDeadline(60_000, () => new Promise<never>(() => undefined), { signal: stop.signal, expired: () => new Error('late') });
  await assert.rejects(already, Stopped, 'a run already stopping does not start to wait');
});

test('sleep ends at its time, or at once when the run stops', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let woke = false;
  const nap = sleep(5000).then(() => (woke = true));
  t.mock.timers.tick(4999);
  await Promise.resolve();
  assert.equal(woke, false);
  t.mock.timers.tick(1);
  await nap;
  assert.equal(woke, true);

  const stop = new AbortController();
  const long = sleep(3_600_000, stop.signal);
  stop.abort();
  await long;
});
