import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, sftoken } from '../helpers/cli.js';
import { Dovecot } from '../helpers/dovecot.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { HostileImap } from '../helpers/hostile-imap.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { imapFlags } from '../helpers/imap-flags.js';

// `sftoken check` before the first token email: every part of a configuration tried, nothing
// changed, one line per check; a test login only when asked.
const IMAP_PW = 'check-imap-Pa55';
const SF_PW = 'check-sf-Pa55';
const USER = 'checker@acme.com';

async function world() {
  const dovecot = await Dovecot.start({ [USER]: IMAP_PW });
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'plain@acme.com', password: SF_PW, tokenFingerprint: fixtureIndex().find((f) => f.file === '01-plain-text.eml')?.fingerprint as string });
  const home = await tempDir();
  await mkdir(join(home, 'out'));
  const base = ['--trust', 'sender', ...imapFlags(dovecot.port, USER), '--login-url', sf.url, '--state', join(home, 'state.json')];
  const env = isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: IMAP_PW, SFTOKEN_SF_USERNAME: 'plain@acme.com', SFTOKEN_SF_PASSWORD: SF_PW });
  return { sf, home, base, env };
}

test('a good configuration checks out: every line ok, exit 0, no login, nothing written', async () => {
  const { sf, home, base, env } = await world();
  const r = await sftoken(['check', ...base, '--store', `file:${join(home, 'out', 'tokens.json')}`, '--store', `dotenv:${join(home, 'out', '.env')}?var=SF_TOKEN`], env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // The login path's line warns within 60 days of its end: a matter of the date, not the configuration.
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter((l) => !/^WARN {2}login path /.test(l));
  assert.ok(
    lines.every((l) => l.startsWith('ok  ')),
    r.stdout,
  );
  assert.match(r.stdout, /^(ok {2}|WARN) {2}login path plain@acme\.com: SOAP login\(\) at API 64\.0; /m);
  assert.match(r.stdout, /mailbox INBOX: checker@acme\.com at 127\.0\.0\.1:\d+, folder INBOX: login ok; offers IDLE, CONDSTORE/);
  assert.match(r.stdout, /login endpoint: http:\/\/127\.0\.0\.1:\d+ answers/);
  assert.equal(sf.attempts.length, 0, 'no test login without --login');
  assert.deepEqual(leakedSecrets(r.stdout + r.stderr, [IMAP_PW, SF_PW]), []);
});

test('typos are all reported at once, each with what to fix, and exit 1', async () => {
  const { home, base, env } = await world();
  const r = await sftoken(['check', ...base, '--mailbox', 'Tokns', '--store', `file:${join(home, 'nope', 'tokens.json')}`, '--login-url', 'http://127.0.0.1:9'], {
    ...env,
    SFTOKEN_IMAP_PASSWORD: 'wrong',
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^FAIL {2}destination file:.*: token file .*: folder .*nope does not exist$/m);
  assert.match(r.stdout, /^FAIL {2}login endpoint: http:\/\/127\.0\.0\.1:9 cannot be reached/m);
  assert.match(r.stdout, /^FAIL {2}mailbox Tokns: IMAP login refused for checker@acme\.com/m);
});

test('check --login proves the stored token with one test login', async () => {
  const { sf, home, base, env } = await world();
  const store = `file:${join(home, 'out', 'tokens.json')}`;
  const stored = await sftoken(
    ['replay', 'fixtures/01-plain-text.eml', '--trust', 'sender', '--login-url', base[base.indexOf('--login-url') + 1] ?? '', '--store', store, '--state', join(home, 'state.json')],
    env,
  );
  assert.equal(stored.code, 0, stored.stderr);
  const r = await sftoken(['check', ...base, '--store', store, '--login'], env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ok {4}login plain@acme\.com: the stored token sha256:b97bf19568ec logs in$/m);
  assert.equal(sf.attempts.length, 2, 'one login to store it, one to check it');
});

test('check --replicas says whether each mailbox can be claimed safely: Dovecot can, a server without CONDSTORE cannot', async () => {
  const { home, base, env } = await world();
  const store = ['--store', `file:${join(home, 'out', 'tokens.json')}`];
  const good = await sftoken(['check', ...base, ...store, '--replicas'], env);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /^ok {4}mailbox INBOX: .*offers IDLE, CONDSTORE$/m);

  const plain = await HostileImap.start({ messages: [] });
  const hostAt = base.indexOf('--imap-port');
  const elsewhere = [...base.slice(0, hostAt + 1), String(plain.port), ...base.slice(hostAt + 2)];
  const bad = await sftoken(['check', ...elsewhere, ...store, '--replicas'], env);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /^FAIL {2}mailbox INBOX: mailbox "INBOX": the server does not offer CONDSTORE, so replicas cannot claim messages safely/m);
  const without = await sftoken(['check', ...elsewhere, ...store], env);
  assert.equal(without.code, 0, 'one watcher needs no CONDSTORE');
  assert.match(without.stdout, /^ok {4}mailbox INBOX: .*login ok; offers IDLE$/m);
});
