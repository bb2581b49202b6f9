import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint } from '../../src/util/fingerprint.js';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { minutesAgo, rfc5322 } from '../helpers/dates.js';
import { makeKey, sign, tokenEmail } from '../helpers/dkim.js';
import { Dovecot } from '../helpers/dovecot.js';
import { imapFlags } from '../helpers/imap-flags.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { Watcher } from '../helpers/watcher.js';
import { skewedClockEnv } from '../helpers/faketime.js';

// What an ordinary employee can do with one old, genuine, DKIM-signed token email forwarded to
// them once, and what operations does by accident (a paused VM, a pod without its volume): the
// attacker's message is built as an attacker would, the genuine signed email with headers added
// above the signature. Each test measures the logins the stand-in saw.
const USER = 'victim@acme.com';
const IMAP_PW = 'att4ck-imap';
const SF_PW = 'att4ck-Sf-pw';
const SF = makeKey('salesforce.com');
const tokenOf = (n: number) => `Zq8Wx2Cv4Bn6Mm1Lk3Jh5Gf${String(n).padStart(2, '0')}`;

/** A genuine token email, signed by Salesforce's key at `at` (its DKIM t=), dated `at`. */
function genuine(n: number, at: Date): Promise<string> {
  return sign(tokenEmail({ from: 'Salesforce <support@salesforce.com>', username: USER, token: tokenOf(n), date: rfc5322(at) }), SF, { signTime: at });
}

async function world(budget = 3) {
  const dovecot = await Dovecot.start({ [USER]: IMAP_PW });
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: USER, password: SF_PW, tokenFingerprint: fingerprint(tokenOf(0)) });
  const home = await tempDir();
  const keys = join(home, 'dkim-keys');
  await writeFile(keys, `${SF.keyLine}\n`);
  const tokens = join(home, 'tokens.json');
  const common = (state: string) => [
    '--dkim-keys',
    keys,
    ...imapFlags(dovecot.port, USER),
    '--login-url',
    sf.url,
    '--store',
    `file:${tokens}`,
    '--state',
    join(home, state),
    '--max-failed-logins',
    String(budget),
    '--login-backoff',
    '0.05',
  ];
  const env = isolatedEnv(home, { SFTOKEN_SF_USERNAME: USER, SFTOKEN_SF_PASSWORD: SF_PW, SFTOKEN_IMAP_PASSWORD: IMAP_PW });
  const ingest = async (state = 'state.json', extra: string[] = []) => {
    const r = await sftoken(['ingest', '--since', '30d', '--json', ...common(state), ...extra], env);
    return { ...r, records: jsonLines(r.stdout) };
  };
  const replica = (n: number, more: string[] = [], clock: NodeJS.ProcessEnv = {}) =>
    Watcher.start(['--replicas', '--heartbeat', '1', '--since', '30d', ...common(`state-${n}.json`), ...more], { ...env, ...clock });
  const deliver = (...messages: string[]) => dovecot.append(USER, IMAP_PW, messages);
  const stored = async () => (JSON.parse(await readFile(tokens, 'utf8').catch(() => '{}')) as Record<string, { fingerprint: string }>)[USER]?.fingerprint;
  return { dovecot, sf, home, ingest, replica, deliver, stored };
}

test('a genuine old email with a Date added above its signature is refused, and the next genuine token is stored: one login', async () => {
  const w = await world();
  await w.deliver(await genuine(0, minutesAgo(60 * 24 * 10)));
  assert.equal((await w.ingest()).records[0]?.outcome, 'stored');
  // A reset: token 1 is the live one now. The attacker forwards token 0's email with a Date a year ahead.
  w.sf.setToken(USER, fingerprint(tokenOf(1)));
  const old = await genuine(0, minutesAgo(60 * 24 * 10));
  const future = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  await w.deliver(`Date: ${rfc5322(future)}\r\n${old}`, `Date: ${rfc5322(minutesAgo(1))}\r\n${old}`);
  await w.deliver(await genuine(1, minutesAgo(5)));
  const r = await w.ingest();
  assert.deepEqual(
    r.records.map((x) => [x.outcome, x.reason]).sort(),
    [
      ['rejected', 'repeated-header:date'],
      ['rejected', 'repeated-header:date'],
      ['stored', 'dkim:salesforce.com'],
    ],
    r.stderr,
  );
  assert.equal(await w.stored(), fingerprint(tokenOf(1)), 'the live token is in the destination');
  assert.equal(w.sf.attempts.length - 1, 1, 'one login for the new token, none for the forged copies');
  assert.match(r.stdout + r.stderr, /repeated-header:date/);
});

test('with --no-verify, the old token email sent again (no header added) never goes over the live one: its signature dates it', async () => {
  const w = await world();
  await w.deliver(await genuine(1, minutesAgo(5)));
  assert.equal((await w.ingest('state.json', ['--no-verify'])).records[0]?.outcome, 'stored');
  // Sent again later: its INTERNALDATE is now, its Date and its t= ten days ago.
  await w.deliver(await genuine(0, minutesAgo(60 * 24 * 10)));
  const r = await w.ingest('state.json', ['--no-verify']);
  assert.deepEqual(
    r.records.map((x) => [x.outcome, x.reason]),
    [['superseded', 'older-than-applied']],
  );
  // Without state (a pod without its volume), the destination itself refuses to go back in time.
  await w.deliver(await genuine(0, minutesAgo(60 * 24 * 10)));
  const fresh = await w.ingest('fresh.json', ['--no-verify']);
  assert.deepEqual(
    fresh.records.map((x) => [x.outcome, String(x.reason).replace(/:.*/, '')]),
    [['superseded', 'destination-newer']],
    fresh.stderr,
  );
  assert.equal(await w.stored(), fingerprint(tokenOf(1)));
  assert.equal(w.sf.attempts.length, 0);
});

test('six old tokens, forged or not, cost at most the budget across twelve restarts with fresh state, and never again', async () => {
  const w = await world(3);
  w.sf.setToken(USER, fingerprint(tokenOf(9)));
  const forged = await Promise.all([0, 1, 2].map(async (n) => `Date: ${rfc5322(minutesAgo(1))}\r\n${await genuine(n, minutesAgo(60 * 24 * (20 - n)))}`));
  const plain = await Promise.all([3, 4, 5].map((n) => genuine(n, minutesAgo(60 * 24 * (20 - n)))));
  await w.deliver(...forged, ...plain);
  const runs = [];
  for (let i = 0; i < 12; i++) runs.push(await w.ingest(`restart-${i}.json`));
  const logins = w.sf.attempts.length;
  assert.ok(logins <= 3, `failed logins: ${logins}`);
  assert.equal(w.sf.isLocked(USER), false);
  assert.deepEqual(
    runs[0]?.records.filter((x) => x.reason === 'repeated-header:date').map((x) => x.outcome),
    ['rejected', 'rejected', 'rejected'],
    'forged copies refused before any login',
  );
  assert.equal(
    runs.slice(1).every((r) => r.records.every((x) => x.reason !== 'login-rejected:INVALID_LOGIN')),
    true,
    'no restart tries a refused one again',
  );
  // The genuine new token still goes through: forged copies spent nothing, and only the budget left is used.
  await w.deliver(await genuine(9, minutesAgo(2)));
  const after = await w.ingest('restart-last.json');
  assert.ok(after.records.some((x) => x.outcome === 'stored') || after.records.some((x) => x.reason === 'lockout-guard'), after.stdout);
  console.log(`measured: six old tokens (three forged), twelve fresh restarts: ${logins} failed logins`);
});

test('two replicas, each with its own state, share one budget: six old tokens cost at most three failed logins', async () => {
  const w = await world(3);
  w.sf.setToken(USER, fingerprint(tokenOf(9)));
  const a = w.replica(1);
  const b = w.replica(2);
  await Promise.all([a.log('watching'), b.log('watching')]);
  await w.deliver(...(await Promise.all([3, 4, 5, 6, 7, 8].map((n) => genuine(n, minutesAgo(60 * 24 * (20 - n)))))));
  const tried = () => [...a.records, ...b.records].filter((r) => String(r.reason).startsWith('login-rejected') || r.reason === 'lockout-guard');
  await a.waitFor(() => (tried().filter((r) => r.reason === 'lockout-guard').length > 0 ? true : undefined), 'the budget reached', 60_000);
  const beats = (x: Watcher) => x.logs.filter((l) => l.msg === 'heartbeat').length;
  const [ba, bb] = [beats(a), beats(b)];
  await a.waitFor(() => (beats(a) >= ba + 4 && beats(b) >= bb + 4 ? true : undefined), 'four more sweeps of each');
  assert.ok(
    w.sf.attempts.length <= 3,
    `failed logins across both replicas: ${w.sf.attempts.length}\nA: ${JSON.stringify(a.records.map((r) => [r.source, r.reason]))}\nB: ${JSON.stringify(b.records.map((r) => [r.source, r.reason]))}`,
  );
  console.log(`measured: two replicas, six old tokens: ${w.sf.attempts.length} failed logins`);
  assert.equal((await a.stop()).code, 0);
  assert.equal((await b.stop()).code, 0);
});

test('a replica paused after its login never writes its older token over the newer one another replica stored meanwhile', async () => {
  const w = await world(3);
  w.sf.addUser({ username: USER, password: SF_PW, tokenFingerprint: fingerprint(tokenOf(1)) });
  const a = w.replica(1, ['--claim-expiry', '2']);
  await a.log('watching');
  w.sf.latencyMs = 1500;
  await w.deliver(await genuine(1, minutesAgo(10)));
  // A's login is in; before its answer comes, A is frozen (a paused VM).
  await a.waitFor(() => (w.sf.attempts.length >= 1 ? true : undefined), 'A logging in');
  a.child.kill('SIGSTOP');
  w.sf.latencyMs = 0;
  const b = w.replica(2, ['--claim-expiry', '2']);
  await b.record((r) => r.outcome === 'stored', 'token 1, by B', 30_000);
  // A reset: token 2 arrives, and B stores it.
  w.sf.setToken(USER, fingerprint(tokenOf(2)));
  await w.deliver(await genuine(2, minutesAgo(1)));
  await b.record((r) => r.outcome === 'stored' && r.fingerprint === fingerprint(tokenOf(2)), 'token 2, by B', 30_000);
  a.child.kill('SIGCONT');
  const gaveUp = await a.record((r) => r.reason === 'claim-lost' || r.outcome === 'stored' || String(r.reason).startsWith('destination-newer'), 'what A does on waking', 30_000);
  assert.notEqual(gaveUp.outcome, 'stored', JSON.stringify(gaveUp));
  assert.equal(await w.stored(), fingerprint(tokenOf(2)), 'the destination keeps the newer token');
  console.log(`measured: paused replica: ${w.sf.attempts.length} logins (A's, B's takeover, B's new token); A ${String(gaveUp.reason)}`);
  assert.equal((await b.stop()).code, 0);
  assert.equal((await a.stop()).code, 0);
});

test('a replica whose clock runs 600 s ahead does not take over a fresh claim: one login', async () => {
  const w = await world(3);
  w.sf.addUser({ username: USER, password: SF_PW, tokenFingerprint: fingerprint(tokenOf(1)) });
  const a = w.replica(1, ['--claim-expiry', '300']);
  await a.log('watching');
  w.sf.latencyMs = 6000;
  await w.deliver(await genuine(1, minutesAgo(10)));
  await a.waitFor(() => (w.sf.attempts.length >= 1 ? true : undefined), 'A logging in');
  // B's clock says A's claim (300 s from A's now) ran out 300 s ago.
  const b = w.replica(2, ['--claim-expiry', '300'], skewedClockEnv(600));
  await b.log('held by another replica', 20_000);
  await a.record((r) => r.outcome === 'stored', 'the token, by A', 30_000);
  const beats = b.logs.filter((l) => l.msg === 'heartbeat').length;
  await b.waitFor(() => (b.logs.filter((l) => l.msg === 'heartbeat').length >= beats + 3 ? true : undefined), 'three more sweeps by B');
  assert.equal(w.sf.attempts.length, 1, 'no second login');
  assert.equal(b.records.filter((r) => r.outcome === 'stored').length, 0);
  console.log(`measured: replica 600 s ahead, claim expiry 300 s: ${w.sf.attempts.length} login`);
  assert.equal((await a.stop()).code, 0);
  assert.equal((await b.stop()).code, 0);
});
