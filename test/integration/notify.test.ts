import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isolatedEnv, sftoken } from '../helpers/cli.js';
import { onCleanup } from '../helpers/cleanup.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { receiver } from '../helpers/webhook.js';

// --notify against a local HTTP receiver: a message per stored, refused or failed token, in
// Slack's, Teams' or plain JSON form, retried while the receiver answers 5xx, never a secret.
const PASSWORD = 'N0tify-Pa55';
const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;

test('a stored and a refused token are told to a JSON receiver and to Slack, retried through 503s, with no secret in any body', async () => {
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'plain@acme.com', password: PASSWORD, tokenFingerprint: fp('01-plain-text.eml') });
  const hook = await receiver(2);
  const home = await tempDir();
  const r = await sftoken(
    [
      'replay',
      'fixtures/01-plain-text.eml',
      'fixtures/13-lookalike-domain.eml',
      '--trust',
      'sender',
      '--login-url',
      sf.url,
      '--store',
      `file:${join(home, 't.json')}`,
      '--state',
      join(home, 's.json'),
      '--notify',
      `${hook.url}/json`,
      '--notify',
      `slack:${hook.url}/slack`,
    ],
    isolatedEnv(home, { SFTOKEN_SF_USERNAME: 'plain@acme.com', SFTOKEN_SF_PASSWORD: PASSWORD }),
  );
  assert.equal(r.code, 3, r.stderr);
  // Token emails only: on a day near a login path's end, that notice comes too (login-paths.test.ts).
  const aboutEmails = hook.received.filter((m) => m.body.kind !== 'notice' && !/ logs in with /.test(String(m.body.text)));
  const json = aboutEmails.filter((m) => m.path === '/json').map((m) => m.body);
  const slack = aboutEmails.filter((m) => m.path === '/slack').map((m) => m.body);
  assert.deepEqual(json.map((b) => [b.outcome, b.username]).sort(), [
    ['rejected', null],
    ['stored', 'plain@acme.com'],
  ]);
  assert.equal(json.find((b) => b.outcome === 'stored')?.fingerprint, fp('01-plain-text.eml'));
  assert.equal(slack.length, 2);
  assert.match(String(slack.find((b) => String(b.text).includes('refused'))?.text), /^sftoken: a token email was refused: untrusted-sender\nWhat to do: not from Salesforce/);
  assert.match(String(slack.find((b) => String(b.text).includes('stored'))?.text), /^sftoken: the new security token of plain@acme\.com \(sha256:b97bf19568ec\) is stored/);
  assert.deepEqual(leakedSecrets(JSON.stringify(hook.received), [PASSWORD]), [], 'no token or password in a notification');
});

test('a receiver that never answers does not hold up the token, and its failure is logged', async () => {
  const home = await tempDir();
  const r = await sftoken(
    ['replay', 'fixtures/01-plain-text.eml', '--no-verify', '--trust', 'sender', '--store', `file:${join(home, 't.json')}`, '--state', join(home, 's.json'), '--notify', 'http://127.0.0.1:9/hook'],
    isolatedEnv(home),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /notification could not be delivered.*target=json:127\.0\.0\.1:9/);
  const bad = await sftoken(
    [
      'replay',
      'fixtures/01-plain-text.eml',
      '--no-verify',
      '--trust',
      'sender',
      '--state',
      join(home, 's2.json'),
      '--store',
      `file:${join(home, 't2.json')}`,
      '--notify',
      'http://hooks.example.com/x',
    ],
    isolatedEnv(home),
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--notify hooks\.example\.com: must be https/);
});

test("a webhook that never answers cannot keep a one-shot command alive past the flush bound, and a webhook's redirect is not followed", async () => {
  // One receiver that accepts the request and never answers; one that redirects to another.
  const hung = createServer(() => undefined);
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  onCleanup(() => {
    hung.closeAllConnections();
    return new Promise<void>((resolve) => hung.close(() => resolve()));
  });
  const elsewhere = await receiver();
  const redirecting = createServer((_req, res) => res.writeHead(307, { Location: `${elsewhere.url}/stolen` }).end());
  await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => redirecting.close(() => resolve())));
  const port = (s: typeof hung) => (s.address() as AddressInfo).port; // a TCP server's address is an AddressInfo
  const home = await tempDir();
  const started = Date.now();
  const r = await sftoken(
    [
      'replay',
      'fixtures/13-lookalike-domain.eml',
      '--trust',
      'sender',
      '--no-verify',
      '--store',
      `file:${join(home, 't.json')}`,
      '--state',
      join(home, 'state.json'),
      '--notify',
      `http://127.0.0.1:${port(hung)}/hook`,
      '--notify',
      `http://127.0.0.1:${port(redirecting)}/hook`,
    ],
    isolatedEnv(home),
  );
  const took = Date.now() - started;
  assert.equal(r.code, 3, r.stderr);
  assert.ok(took < 15_000 + 5_000, `the command ended ${took} ms after it started (flush bound 15 s)`);
  assert.deepEqual(elsewhere.received, [], 'the redirect target got nothing');
});
