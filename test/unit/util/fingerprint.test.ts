import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint } from '../../../src/util/fingerprint.js';

test('a fingerprint is sha256: and the first 12 hex digits of SHA-256', () => {
  // printf %s aB3dE5fG7hJ9kL1mN2pQ4rS6 | sha256sum
  assert.equal(fingerprint('aB3dE5fG7hJ9kL1mN2pQ4rS6'), 'sha256:b97bf19568ec');
});
