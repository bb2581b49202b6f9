import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint } from '../../src/util/fingerprint.js';
import { isolatedEnv } from '../helpers/cli.js';
import { tokenEmail } from '../helpers/dkim.js';
import { Dovecot } from '../helpers/dovecot.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { Watcher } from '../helpers/watcher.js';

// Two watchers on the same mailboxes, each with its own state file as on two hosts, writing one
// shared destination: every token stored, one login per token, a claim left by a replica that
// died taken over once it expires.
const SF_PW = 'replica-sf-Pa55';
const BOXES = { 'box-1': ['rep-1@acme.com', 'imap-1-Pa55'], 'box-2': ['rep-2@acme.com', 'imap-2-Pa55'] } as const;
const USERS = Array.from({ length: 10 }, (_, i) => `r${i}@acme.com`);
const tokenOf = (i: number) => `aB3dE5fG7hJ9kL1mN2pQ4r${String(i).padStart(2, '0')}`;

async function world() {
  const dovecot = await Dovecot.start(Object.fromEntries(Object.values(BOXES)));
  const sf = await SalesforceStandIn.start();
  USERS.forEach((username, i) => sf.addUser({ username, password: SF_PW, tokenFingerprint: fingerprint(tokenOf(i)) }));
  const home = await tempDir();
  for (const [name, [, pw]] of Object.entries(BOXES)) await writeFile(join(home, `${name}.pw`), pw);
  const config = join(home, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      accounts: USERS.map((username) => ({ username, password: { env: 'SF_PW' } })),
      mailboxes: Object.entries(BOXES).map(([name, [user]]) => ({
        name,
        imapHost: '127.0.0.1',
        imapPort: dovecot.port,
        imapUser: user,
        imapTls: false,
        imapPassword: { file: join(home, `${name}.pw`) },
        since: '1d',
      })),
    }),
  );
  const replica = (n: number, more: string[] = []) =>
    Watcher.start(
      [
        '--trust',
        'sender',
        '--config',
        config,
        '--replicas',
        '--heartbeat',
        '1',
        '--login-url',
        sf.url,
        '--store',
        `file:${join(home, 'tokens.json')}`,
        '--state',
        join(home, `state-${n}.json`),
        ...more,
      ],
      isolatedEnv(home, { SF_PW }),
    );
  const deliver = (i: number) => {
    const [user, pw] = BOXES[i % 2 === 0 ? 'box-1' : 'box-2'];
    return dovecot.append(user, pw, [
      tokenEmail({ from: 'support@salesforce.com', username: USERS[i] as string, token: tokenOf(i), date: `Mon, 23 Nov 2026 10:${String(i).padStart(2, '0')}:00 +0000` }),
    ]);
  };
  const stored = async () => JSON.parse(await readFile(join(home, 'tokens.json'), 'utf8').catch(() => '{}')) as Record<string, { fingerprint: string }>;
  return { dovecot, sf, replica, deliver, stored };
}

const watchingBoth = (w: Watcher) => w.waitFor(() => (w.logs.filter((l) => l.msg === 'watching').length >= 2 ? true : undefined), 'both mailboxes watched');

test('two replicas on the same two mailboxes: ten deliveries, ten tokens stored, ten logins', async () => {
  const { sf, replica, deliver, stored } = await world();
  const a = replica(1);
  const b = replica(2);
  await Promise.all([watchingBoth(a), watchingBoth(b)]);
  for (let i = 0; i < USERS.length; i++) await deliver(i);
  const all = () => [...a.records, ...b.records].filter((r) => r.outcome === 'stored');
  await a
    .waitFor(() => (all().length >= USERS.length ? true : undefined), 'ten tokens stored between them', 60_000)
    .catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- the other replica ---\n${b.stderr.slice(-3000)}`);
    });
  // Two more sweeps of each mailbox by each replica: a second login would come in them if the claims did not hold.
  const beats = (w: typeof a) => w.logs.filter((l) => l.msg === 'heartbeat').length;
  const [beatsA, beatsB] = [beats(a), beats(b)];
  await a.waitFor(() => (beats(a) >= beatsA + 4 ? true : undefined), 'two more sweeps of the first replica');
  await b.waitFor(() => (beats(b) >= beatsB + 4 ? true : undefined), 'two more sweeps of the second replica');
  assert.equal(sf.attempts.length, USERS.length, `logins: ${sf.attempts.map((x) => x.username).join(' ')}`);
  assert.deepEqual(
    all()
      .map((r) => r.username)
      .sort(),
    [...USERS].sort(),
  );
  const tokens = await stored();
  USERS.forEach((u, i) => assert.equal(tokens[u]?.fingerprint, fingerprint(tokenOf(i)), u));
  assert.equal(all().length, USERS.length, 'no token stored by both replicas');
  assert.equal((await a.stop()).code, 0);
  assert.equal((await b.stop()).code, 0);
});

test('a replica killed while it holds a claim: the other takes the message over once the claim expires', async () => {
  const { sf, replica, deliver, stored } = await world();
  sf.latencyMs = 60_000;
  const a = replica(1, ['--claim-expiry', '4']);
  await watchingBoth(a);
  await deliver(0);
  // A holds the claim and waits on its login; B starts and finds the message held.
  await a.waitFor(() => (sf.attempts.length >= 1 ? true : undefined), 'A logging in', 20_000);
  const b = replica(2, ['--claim-expiry', '4']);
  await b.log('held by another replica', 20_000);
  const killedAt = Date.now();
  await a.stop('SIGKILL');
  sf.latencyMs = 0;
  const taken = await b.record((r) => r.outcome === 'stored', 'the token, by B', 30_000);
  const after = Date.now() - killedAt;
  assert.equal(taken.username, USERS[0]);
  assert.ok(after < 4000 + 3000, `taken over ${after} ms after the kill (claim expiry 4 s, heartbeat 1 s)`);
  assert.equal((await stored())[USERS[0] as string]?.fingerprint, fingerprint(tokenOf(0)));
  assert.equal(sf.attempts.length, 2, "the dead replica's login, and the one that stored it");
  assert.equal((await b.stop()).code, 0);
});
