import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { Dovecot } from '../helpers/dovecot.js';
import { fixtureIndex, fixturePath } from '../helpers/fixtures.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { Watcher } from '../helpers/watcher.js';
import { imapFlags } from '../helpers/imap-flags.js';

// One email from anyone must not stop the watcher: whitespace that the label pattern once
// backtracked on, 1.9 MB of it, as a trusted sender would send it (the worst case: it reaches
// extraction), ahead of a real token email.

const SF_PW = 'sf-hostile-mail-Pa55';
const IMAP_PW = 'imap-hostile-mail-Pa55';

function pathological(n: number): Buffer {
  const head = `From: Salesforce <support@salesforce.com>\r\nTo: plain@acme.com\r\nSubject: Your new Salesforce security token\r\nDate: Mon, 23 Nov 2026 09:0${n}:00 +0000\r\nMessage-ID: <vt-${n}@hostile.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  // Vertical tabs, form feeds and narrow no-break spaces after a label: 1.9 MB in lines of 76.
  const run = '\u000b\u000c\u202f'.repeat(630_000);
  const body = `Username${run}\r\nSecurity token${run}\r\n`.replace(/(.{1,76})/gsu, '$1\r\n');
  return Buffer.from(head + body);
}

async function standIn() {
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'plain@acme.com', password: SF_PW, tokenFingerprint: fixtureIndex().find((f) => f.file === '01-plain-text.eml')?.fingerprint as string });
  return sf;
}

test('replay: a 1.9 MB email of pathological whitespace is refused in well under a second of work, and the token behind it is stored', async (t) => {
  const home = await tempDir();
  const sf = await standIn();
  await writeFile(join(home, 'a-hostile.eml'), pathological(1));
  await writeFile(join(home, 'b-token.eml'), await readFile(fixturePath('01-plain-text.eml')));
  const started = Date.now();
  const r = await sftoken(
    ['replay', home, '--json', '--trust', 'sender', '--login-url', sf.url, '--store', `file:${join(home, 't.json')}`, '--state', join(home, 's.json')],
    isolatedEnv(home, { SFTOKEN_SF_USERNAME: 'plain@acme.com', SFTOKEN_SF_PASSWORD: SF_PW }),
  );
  const ms = Date.now() - started;
  t.diagnostic(`replay of both took ${ms} ms`);
  const records = jsonLines(r.stdout);
  assert.deepEqual(records.map((x) => [String(x.source).split('/').pop(), x.outcome]).sort(), [
    ['a-hostile.eml', 'rejected'],
    ['b-token.eml', 'stored'],
  ]);
  assert.ok(ms < 10_000, `replay took ${ms} ms`);
  assert.equal(r.code, 3, 'the refusal asks for a person');
});

test('watch: hostile emails ahead of a token email: the token is stored within seconds, /healthz answers throughout, SIGTERM is obeyed', async (t) => {
  const user = 'hostile@acme.com';
  const dovecot = await Dovecot.start({ [user]: IMAP_PW });
  const sf = await standIn();
  const home = await tempDir();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const w = Watcher.start(
    [
      '--trust',
      'sender',
      ...imapFlags(dovecot.port, user),
      '--heartbeat',
      '1',
      '--health-port',
      String(port),
      '--login-url',
      sf.url,
      '--store',
      `file:${join(home, 'tokens.json')}`,
      '--state',
      join(home, 'state.json'),
    ],
    isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: IMAP_PW, SFTOKEN_SF_USERNAME: 'plain@acme.com', SFTOKEN_SF_PASSWORD: SF_PW }),
  );
  await w.log('watching');
  let slowest = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const t = Date.now();
      await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
      slowest = Math.max(slowest, Date.now() - t);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const appended = Date.now();
  await dovecot.append(user, IMAP_PW, [pathological(1), pathological(2), await readFile(fixturePath('01-plain-text.eml'))]);
  await w.record((r) => r.outcome === 'stored', 'the real token', 30_000);
  const storedAfter = Date.now() - appended;
  assert.equal(w.records.filter((r) => r.outcome === 'rejected').length, 2);
  // More of them, and SIGTERM while they are in hand.
  await dovecot.append(user, IMAP_PW, [pathological(3), pathological(4)]);
  await new Promise((r) => setTimeout(r, 150));
  polling = false;
  await poller;
  const stop = await w.stop();
  t.diagnostic(`stored ${storedAfter} ms after the append; slowest /healthz ${slowest} ms; stopped in ${stop.ms} ms`);
  assert.ok(storedAfter < 10_000, `stored ${storedAfter} ms after the append`);
  assert.ok(slowest < 1000, `slowest /healthz answer: ${slowest} ms`);
  assert.equal(stop.code, 0);
  assert.ok(stop.ms < 9000, `stopped in ${stop.ms} ms`);
  assert.equal(sf.attempts.length, 1);
});
