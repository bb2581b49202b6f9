import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classify, hasTokenStructure } from '../../../src/mail/classify.js';
import { extractToken, hasTokenLabels } from '../../../src/mail/extract.js';
import type { ParsedEmail } from '../../../src/mail/types.js';

// A stranger can send the integration user anything: every pattern that sees message text must
// take time linear in its length. Each case below took seconds (growing with the square of the
// run) when whitespace that normalisation did not fold sat between a label and its colon.
const SIZE = 1024 * 1024;
// Generous for a linear pass over a megabyte on a slow machine; a quadratic one takes minutes.
const BOUND_MS = 3000;

function everyStage(text: string): void {
  const email: ParsedEmail = { from: { address: 'support@salesforce.com', name: '' }, subject: text.slice(0, 200_000), date: null, messageId: null, text, html: null, headerLines: [] };
  classify(email);
  hasTokenLabels(text);
  hasTokenStructure(text);
  extractToken(text);
}

function timed(text: string): number {
  const started = performance.now();
  everyStage(text);
  return performance.now() - started;
}

const RUNS = ['\v', '\f', '\u202f', '\u00a0', '\u3000', ' ', '\t', '\u200b', '>', '(', ':', 'a', '<mailto:', 'new ', 'security token '];

test('adversarial runs of a megabyte after a label are processed in linear time', () => {
  for (const run of RUNS) {
    for (const prefix of ['Username', 'Security token (', 'Benutzername', '> > ', 'x: ']) {
      const text = `${prefix}${run.repeat(Math.ceil(SIZE / run.length))}`.slice(0, SIZE);
      const ms = timed(text);
      assert.ok(ms < BOUND_MS, `${JSON.stringify(prefix)} + ${JSON.stringify(run)}×: ${ms.toFixed(0)} ms`);
    }
  }
});

test('random text up to a megabyte is processed within the same bound', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constantFrom(...RUNS, 'Username: a@b.com\n', 'Security token: ', 'aB3dE5fG7hJ9kL1mN2pQ4rS6', '\n')), { maxLength: 64 }),
      fc.nat({ max: 20_000 }),
      (parts, repeat) => {
        const text = parts
          .join('')
          .repeat(Math.max(1, Math.floor(repeat / Math.max(1, parts.length))))
          .slice(0, SIZE);
        assert.ok(timed(text) < BOUND_MS);
      },
    ),
    { numRuns: 40 },
  );
});
