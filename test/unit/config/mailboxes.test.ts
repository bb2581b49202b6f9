import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAfter } from '../../../src/config/mailboxes.js';
import { UsageError } from '../../../src/util/errors.js';

test('--after takes flag, seen, delete and move:<folder>, nothing else', () => {
  assert.deepEqual(parseAfter('flag'), { kind: 'flag' });
  assert.deepEqual(parseAfter('seen'), { kind: 'seen' });
  assert.deepEqual(parseAfter('delete'), { kind: 'delete' });
  assert.deepEqual(parseAfter('move:Archive/Salesforce'), { kind: 'move', folder: 'Archive/Salesforce' });
  for (const bad of ['move:', 'archive', 'FLAG', '']) assert.throws(() => parseAfter(bad), UsageError);
});
