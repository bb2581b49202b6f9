import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimKeyword, parseClaim } from '../../../../src/sources/imap/claim.js';

test('a claim keyword names its expiry and holder, and reads back', () => {
  const keyword = claimKeyword({ replicaId: 'host-a1b2c3', expiryMs: 300_000 }, Date.UTC(2026, 10, 25, 12));
  assert.equal(keyword, `$SftokenClaim_${Date.UTC(2026, 10, 25, 12, 5) / 1000}_host-a1b2c3`);
  assert.match(keyword, /^[^\s(){%*"\\\]]+$/, 'an IMAP atom');
  assert.deepEqual(parseClaim(keyword), { expiresAt: Date.UTC(2026, 10, 25, 12, 5), holder: 'host-a1b2c3' });
  assert.equal(parseClaim('SftokenHandled'), null);
  assert.equal(parseClaim('$SftokenClaim_soon_x'), null);
  assert.equal(parseClaim('$SftokenClaim_123'), null, 'no holder');
});
