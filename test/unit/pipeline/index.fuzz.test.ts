import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { classify } from '../../../src/mail/classify.js';
import { extractToken } from '../../../src/mail/extract.js';
import { parseEmail } from '../../../src/mail/parse.js';
import { processBatch } from '../../../src/pipeline/index.js';
import { FIXTURES } from '../../helpers/paths.js';
import { bytesMessage, memoryDeps } from '../../helpers/memory.js';

const MAX = 2 * 1024 * 1024;
const seeds = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.eml'))
  .map((f) => readFileSync(`${FIXTURES}/${f}`))
  .filter((b) => b.length > 0);

// What damaged mail may come to in a dry run: never stored, never a failure (a failure here is
// an exception the pipeline caught: the bug under test).
const ALLOWED = new Set(['would-store', 'superseded', 'ignored', 'rejected']);

/**
 * parse → classify → extract, where an exception escaping is the bug under test; then the whole
 * pipeline in a dry run, whose outcome must be one of the allowed ones with nothing written.
 */
async function throughStages(raw: Buffer): Promise<void> {
  const parsed = await parseEmail(raw, MAX);
  if (parsed.ok) {
    classify(parsed.email);
    extractToken(parsed.email.text);
  }
  // A ledger of its own: a refusal remembered from an earlier run would cut this one short.
  const deps = await memoryDeps();
  const [h] = await processBatch([bytesMessage(raw)], { ...deps, destinations: null });
  assert.ok(h && ALLOWED.has(h.record.outcome), `${h?.record.outcome ?? 'no record'} ${h?.record.reason ?? ''}`);
  assert.equal(deps.store.writes, 0);
}

// Byte-level damage to a real fixture: flips, deletions, insertions, truncation.
const mutated = fc
  .record({
    seed: fc.integer({ min: 0, max: seeds.length - 1 }),
    edits: fc.array(fc.record({ at: fc.nat(), kind: fc.integer({ min: 0, max: 3 }), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 20 }),
  })
  .map(({ seed, edits }) => {
    const bytes = [...(seeds[seed] as Buffer)];
    for (const e of edits) {
      const i = e.at % Math.max(bytes.length, 1);
      if (e.kind === 0) bytes[i] = e.byte;
      else if (e.kind === 1) bytes.splice(i, 1);
      else if (e.kind === 2) bytes.splice(i, 0, e.byte);
      else bytes.length = i;
    }
    return Buffer.from(bytes);
  });

test('random bytes never make a stage throw', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => throughStages(Buffer.from(bytes))),
    { numRuns: 300 },
  );
});

test('mutated fixtures never make a stage throw', async () => {
  await fc.assert(fc.asyncProperty(mutated, throughStages), { numRuns: 400 });
});

test('hostile structure (deep nesting, endless headers, huge lines) finishes without throwing', async () => {
  const deep = 'From: a@salesforce.com\r\nContent-Type: text/html\r\n\r\n' + '<div>'.repeat(5000) + 'Username: a@b.com' + '</div>'.repeat(5000);
  const headers = 'From: a@salesforce.com\r\n' + 'X-Junk: y\r\n'.repeat(20000) + '\r\nbody';
  const line = 'From: a@salesforce.com\r\nSubject: security token\r\n\r\nSecurity token: ' + 'A'.repeat(500_000);
  for (const raw of [deep, headers, line]) await throughStages(Buffer.from(raw));
});

const domainLabel = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
// Senders anyone could write: arbitrary domains, look-alikes built on salesforce.com, and
// Salesforce addresses in the display name only.
const untrustedFrom = fc.oneof(
  fc.tuple(domainLabel, domainLabel).map(([a, b]) => `support@${a}.${b}`),
  domainLabel.map((d) => `support@salesforce.com.${d}.io`),
  domainLabel.map((d) => `support@${d}salesforce.com`),
  domainLabel.map((d) => `"support@salesforce.com" <alerts@${d}.io>`),
  domainLabel.map((d) => `support@salesforce.com <alerts@${d}.io>`),
);
const tokenArb = fc.stringMatching(/^[A-Za-z0-9]{24}$/);

test('no token is ever accepted from an untrusted sender', async () => {
  await fc.assert(
    fc.asyncProperty(untrustedFrom, tokenArb, async (from, token) => {
      fc.pre(!/@(?:[a-z0-9-]+\.)*salesforce\.com>?$/.test(from.trim()));
      const raw = `From: ${from}\r\nSubject: Your new Salesforce security token\r\nDate: Mon, 02 Nov 2026 09:15:00 +0000\r\n\r\nUsername: u@acme.com\r\nSecurity token (case-sensitive): ${token}\r\n`;
      const deps = await memoryDeps();
      const [h] = await processBatch([bytesMessage(raw)], deps);
      assert.ok(h);
      assert.notEqual(h.record.outcome, 'stored');
      assert.notEqual(h.record.outcome, 'would-store');
      assert.equal(deps.store.writes, 0);
    }),
    { numRuns: 200 },
  );
});

test('damaged DKIM-signed mail never makes the DKIM policy throw, and is never trusted once the body changes', async () => {
  const { makeKey, sign, tokenEmail } = await import('../../helpers/dkim.js');
  const { dkimProver } = await import('../../../src/trust/dkim.js');
  const { parseDkimKeys } = await import('../../../src/trust/dkim-keys.js');
  const { trustPolicy } = await import('../../../src/trust/policy.js');
  const key = makeKey('salesforce.com');
  const policy = trustPolicy({ prover: dkimProver(parseDkimKeys(key.keyLine, 'keys'), async () => []), trustedForwarders: [] });
  const signed = Buffer.from(await sign(tokenEmail({ from: 'support@salesforce.com', username: 'u@acme.com', token: 'aB3dE5fG7hJ9kL1mN2pQ4rS6', date: 'Mon, 02 Nov 2026 09:15:00 +0000' }), key));
  const bodyStart = signed.indexOf('\r\n\r\n') + 4;
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.integer({ min: 33, max: 126 }), async (at, byte) => {
      const bytes = Buffer.from(signed);
      const i = at % bytes.length;
      bytes[i] = byte;
      const parsed = await parseEmail(bytes, MAX);
      if (!parsed.ok) return;
      const decision = await policy({ email: parsed.email, raw: bytes });
      // A changed visible character in the body breaks the body hash, so it can never be trusted.
      if (i >= bodyStart && signed[i] !== byte && byte !== 32) assert.notDeepEqual(decision, { kind: 'trusted', via: 'dkim:salesforce.com' });
    }),
    { numRuns: 150 },
  );
});
