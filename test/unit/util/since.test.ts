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
  for (const bad of ['yesterday', '7w', '-3d', '2026-13-45', ''])
    assert.throws(
      () => parseSince(bad, now),
      (e: unknown) => e instanceof UsageError && /30m, 36h, 7d/.test(e.message) && !e.message.includes('\n'),
    );
});
