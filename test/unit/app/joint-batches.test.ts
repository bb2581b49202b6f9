import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jointBatches } from '../../../src/app/joint-batches.js';
import type { Handled, RawMessage } from '../../../src/pipeline/types.js';

// Batches shared by mailboxes: each waits for the mailboxes still searching (for a bounded time),
// runs one at a time, and gives each mailbox back what became of its own messages. Time is moved
// by mock timers, not waited for.

function message(source: string): RawMessage {
  return { source, receivedAt: null, sequence: 1, size: 10, load: async () => Buffer.from('') };
}

/** A pipeline stand-in that records each batch and finishes it when told to. */
function pipeline() {
  const batches: string[][] = [];
  const finish: Array<(err?: Error) => void> = [];
  const run = (messages: readonly RawMessage[]): Promise<Handled[]> => {
    batches.push(messages.map((m) => m.source));
    return new Promise((resolve, reject) =>
      finish.push((err) => (err ? reject(err) : resolve(messages.map((m) => ({ message: m, tokenEmail: true, record: { outcome: 'stored', source: m.source } }))))),
    );
  };
  return { run, batches, finish };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sources = (handled: Handled[]) => handled.map((h) => h.record.source);

test('a batch waits for every mailbox still searching, and each gets back its own messages', async () => {
  const p = pipeline();
  const join = jointBatches(p.run, 10_000);
  const [a, b] = [join(), join()];
  const fromA = a.handle([message('a1'), message('a2')]);
  await tick();
  assert.deepEqual(p.batches, [], 'b is still searching');
  const fromB = b.handle([message('b1')]);
  await tick();
  assert.deepEqual(p.batches, [['a1', 'a2', 'b1']]);
  p.finish[0]?.();
  assert.deepEqual([sources(await fromA), sources(await fromB)], [['a1', 'a2'], ['b1']]);
});

test('a mailbox that finds nothing, or fails, lets the batch go at once', async () => {
  const p = pipeline();
  const join = jointBatches(p.run, 10_000);
  const [a, b] = [join(), join()];
  void a.handle([message('a1')]);
  b.leave();
  b.leave();
  await tick();
  assert.deepEqual(p.batches, [['a1']]);
});

test('a mailbox slow to answer holds the batch up for the grace period only; its mail goes in the next', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const p = pipeline();
  const join = jointBatches(p.run, 10_000);
  const [a, slow] = [join(), join()];
  void a.handle([message('a1')]);
  t.mock.timers.tick(9_999);
  await tick();
  assert.deepEqual(p.batches, []);
  t.mock.timers.tick(1);
  await tick();
  assert.deepEqual(p.batches, [['a1']]);
  const late = slow.handle([message('s1')]);
  await tick();
  assert.equal(p.batches.length, 1, 'one batch at a time');
  p.finish[0]?.();
  await tick();
  await tick();
  assert.deepEqual(p.batches, [['a1'], ['s1']]);
  p.finish[1]?.();
  assert.deepEqual(sources(await late), ['s1']);
});

test('an infinite grace waits for every mailbox, however long (ingest)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const p = pipeline();
  const join = jointBatches(p.run, Infinity);
  const [a, b] = [join(), join()];
  void a.handle([message('a1')]);
  t.mock.timers.tick(24 * 3600_000);
  await tick();
  assert.deepEqual(p.batches, []);
  b.leave();
  await tick();
  assert.deepEqual(p.batches, [['a1']]);
});

test('a batch that fails fails every mailbox in it, and the next batch still runs', async () => {
  const p = pipeline();
  const join = jointBatches(p.run, 10_000);
  const [a, b] = [join(), join()];
  const fromA = a.handle([message('a1')]);
  const fromB = b.handle([message('b1')]);
  await tick();
  p.finish[0]?.(new Error('a destination is corrupt'));
  await assert.rejects(fromA, /corrupt/);
  await assert.rejects(fromB, /corrupt/);
  const again = join().handle([message('a2')]);
  await tick();
  p.finish[1]?.();
  assert.deepEqual(sources(await again), ['a2']);
});

test('a slot cannot hand over twice', async () => {
  const join = jointBatches(pipeline().run, 10_000);
  const slot = join();
  void slot.handle([]);
  await assert.rejects(slot.handle([]), /used twice/);
});
