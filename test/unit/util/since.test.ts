import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../src/util/errors.js';
import { parseSince } from '../../../src/util/since.js';

const now = new Date('2026-11-25T12:00:00Z');

test('--since takes spans back from now and ISO dates', () => {
  assert.equal(parseSince('30m', now).toISOString(), '2026-11-25T11:30:00.000Z');
  assert.equal(parseSince('36h', now).toISOString(), '2026-11-24T00:00:00.000Z');
  assert.equal(parseSince(' 7d ', now).toISOString(), '2026-11-18T12:00:00.000Z');
  assert.equal(parseSince('2026-11-01', now).toISOString(), '2026-11-01T00:00:00.000Z');
  assert.equal(parseSince('2026-11-01T08:00Z', now).toISOString(), '2026-11-01T08:00:00.000Z');
});

test('--since refuses anything else with one line that shows the forms', () => {
  for (const bad of ['yesterday', '7w', '2026-13-45', ''])
    assert.throws(
      () => parseSince(bad, now),
      (e: unknown) => e instanceof UsageError && /30m, 36h, 7d/.test(e.message) && !e.message.includes('\n'),
    );
});

test('--since with a sign, or a date after now, says what to write instead', () => {
  assert.throws(() => parseSince('-3d', now), /--since "-3d": a span is counted back from now and takes no sign; write 3d/);
  assert.throws(() => parseSince('2026-12-01', now), /--since "2026-12-01" is in the future: nothing could match; give a date before now \(2026-11-25\)/);
});
