import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffAtLeastMs } from '../../../src/util/backoff.js';

test('a refused login waits at least the base, never more than the cap', () => {
  assert.equal(
    backoffAtLeastMs(0, 60_000, 900_000, () => 0),
    60_000,
  );
  assert.equal(
    backoffAtLeastMs(0, 60_000, 900_000, () => 1),
    75_000,
  );
  assert.equal(
    backoffAtLeastMs(1, 60_000, 900_000, () => 0),
    120_000,
  );
  assert.equal(
    backoffAtLeastMs(10, 60_000, 900_000, () => 1),
    900_000,
  );
});
