import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { Dovecot } from '../helpers/dovecot.js';
import { fixtureIndex, fixturePath } from '../helpers/fixtures.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';
import { Watcher } from '../helpers/watcher.js';

// Several mailboxes in one process, from the config file's `mailboxes` list, each with its own
// credentials: a team's integration users watched together, one bad mailbox stalling none.
const SF_PW = 'many-sf-Pa55';
const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;
const BOXES = { 'team-a': ['box-a@acme.com', 'imap-a-Pa55'], 'team-b': ['box-b@acme.com', 'imap-b-Pa55'] } as const;

async function world(passwordOfB: string = BOXES['team-b'][1]) {
  const dovecot = await Dovecot.start(Object.fromEntries(Object.values(BOXES)));
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'team-a@acme.com', password: SF_PW, tokenFingerprint: fp('20-two-users-a.eml') });
  sf.addUser({ username: 'team-b@acme.com', password: SF_PW, tokenFingerprint: fp('20-two-users-b.eml') });
  // Reset twice: only the newer token works.
  sf.addUser({ username: 'multi@acme.com', password: SF_PW, tokenFingerprint: fp('19-same-user-3.eml') });
  const home = await tempDir();
  for (const [name, [, pw]] of Object.entries(BOXES)) await writeFile(join(home, `${name}.pw`), name === 'team-b' ? passwordOfB : pw);
  const config = join(home, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      accounts: ['team-a@acme.com', 'team-b@acme.com', 'multi@acme.com'].map((username) => ({ username, password: { env: 'SF_PW' } })),
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
  const args = ['--trust', 'sender', '--config', config, '--login-url', sf.url, '--store', `file:${join(home, 'tokens.json')}`, '--state', join(home, 'state.json')];
  const env = isolatedEnv(home, { SF_PW });
  const deliver = async (box: keyof typeof BOXES, file: string) => dovecot.append(BOXES[box][0], BOXES[box][1], [await readFile(fixturePath(file))]);
  const stored = async () => JSON.parse(await readFile(join(home, 'tokens.json'), 'utf8').catch(() => '{}')) as Record<string, { fingerprint: string }>;
  return { sf, home, args, env, deliver, stored };
}

test('one watcher over two mailboxes stores the tokens delivered to each, one login apiece', async () => {
  const { sf, args, env, deliver, stored } = await world();
  const w = Watcher.start([...args, '--heartbeat', '1'], env);
  await w.waitFor(() => (w.logs.filter((l) => l.msg === 'watching').length >= 2 ? true : undefined), 'both mailboxes watched');
  await deliver('team-a', '20-two-users-a.eml');
  await deliver('team-b', '20-two-users-b.eml');
  const a = await w.record((r) => r.username === 'team-a@acme.com', 'the token in team-a');
  const b = await w.record((r) => r.username === 'team-b@acme.com', 'the token in team-b');
  assert.deepEqual([a.outcome, b.outcome], ['stored', 'stored']);
  assert.match(String(a.source), /^imap:team-a\//);
  assert.match(String(b.source), /^imap:team-b\//);
  const tokens = await stored();
  assert.deepEqual([tokens['team-a@acme.com']?.fingerprint, tokens['team-b@acme.com']?.fingerprint], [fp('20-two-users-a.eml'), fp('20-two-users-b.eml')]);
  assert.equal(sf.attempts.length, 2);
  assert.equal((await w.stop()).code, 0);
});

test('a mailbox whose password is wrong stalls neither watch nor ingest for the others', async () => {
  const { args, env, deliver, stored } = await world('not-the-password');
  await deliver('team-a', '20-two-users-a.eml');
  const once = await sftoken(['ingest', '--json', ...args], env);
  assert.equal(once.code, 2, 'a configuration problem in one mailbox');
  assert.match(once.stderr, /^sftoken: mailbox team-b: IMAP login refused for box-b@acme\.com/m);
  assert.deepEqual(
    jsonLines(once.stdout).map((r) => [r.outcome, r.username]),
    [['stored', 'team-a@acme.com']],
  );

  const w = Watcher.start([...args, '--heartbeat', '1'], env);
  await w.waitFor(() => w.logs.find((l) => l.msg === 'mailbox unavailable' && l.mailbox === 'team-b'), 'team-b refused');
  await w.waitFor(() => w.logs.find((l) => l.msg === 'watching' && l.mailbox === 'team-a'), 'team-a watched');
  assert.equal((await stored())['team-a@acme.com']?.fingerprint, fp('20-two-users-a.eml'));
  assert.equal((await w.stop()).code, 0);
  assert.deepEqual(leakedSecrets(w.stderr + once.stderr, [SF_PW, 'not-the-password', BOXES['team-a'][1]]), []);
});

// The older token email for a user in the first mailbox, the newer in the second: tried in
// mailbox order, the dead token would cost a failed login and raise a false alarm.
for (const command of ['ingest', 'watch'] as const) {
  test(`${command}: of two token emails for one user in two mailboxes, only the newer is tried`, async () => {
    const { sf, args, env, deliver, stored } = await world();
    await deliver('team-a', '19-same-user-1.eml');
    await deliver('team-b', '19-same-user-3.eml');
    let records: Array<Record<string, unknown>>;
    if (command === 'ingest') {
      const r = await sftoken(['ingest', '--json', ...args], env);
      assert.equal(r.code, 0, r.stderr);
      records = jsonLines(r.stdout);
    } else {
      const w = Watcher.start([...args, '--heartbeat', '1'], env);
      await w.waitFor(() => (w.records.length >= 2 ? true : undefined), 'both token emails handled');
      assert.equal((await w.stop()).code, 0);
      records = w.records;
    }
    assert.deepEqual(records.map((r) => [String(r.source).split('/')[0], r.outcome, r.reason]).sort(), [
      ['imap:team-a', 'superseded', 'newer-token'],
      ['imap:team-b', 'stored', 'sender:salesforce.com'],
    ]);
    assert.equal(sf.attempts.length, 1, 'one login, with the newer token');
    assert.equal((await stored())['multi@acme.com']?.fingerprint, fp('19-same-user-3.eml'));
  });
}
