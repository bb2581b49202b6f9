import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redactor } from '../../../src/util/redact.js';
import { createLogger } from '../../../src/util/log.js';

test("a secret the run holds is scrubbed from any line of the run's logger, whatever the caller passed", () => {
  const secrets = new Redactor();
  secrets.add('Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2');
  const lines: string[] = [];
  const log = createLogger('trace', 'text', (l) => lines.push(l), secrets);
  log.error('library said: bad value Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2', { detail: 'again Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2' });
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0] ?? '', /Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2/);
  assert.match(lines[0] ?? '', /\[redacted sha256:[0-9a-f]{12}\]/);
  assert.equal(secrets.redact('nothing here'), 'nothing here');
  const other: string[] = [];
  createLogger('trace', 'text', (l) => other.push(l), new Redactor()).error('Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2');
  assert.match(other[0] ?? '', /Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2/, 'another run holds its own secrets: nothing is process-wide');
});

test('the logger drops lines below its level and writes JSON when asked', () => {
  const lines: string[] = [];
  const log = createLogger('warn', 'json', (l) => lines.push(l), new Redactor());
  log.info('quiet');
  log.warn('loud', { n: 1 });
  assert.equal(lines.length, 1);
  assert.deepEqual({ ...JSON.parse(lines[0] ?? ''), time: 'x' }, { time: 'x', level: 'warn', msg: 'loud', n: 1 });
});
