import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { onCleanup } from '../helpers/cleanup.js';
import { Dovecot } from '../helpers/dovecot.js';
import { fixturePath } from '../helpers/fixtures.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { tempDir } from '../helpers/tmp.js';
import { imapFlags } from '../helpers/imap-flags.js';

const USER = 'oauth@acme.com';
const ACCESS_TOKEN = 'ya29.test-access-token-for-dovecot';

test('XOAUTH2: the token command runs at connect and its token logs in; a failing command is one line, exit 1', async () => {
  // An OAuth 2.0 introspection endpoint, as Dovecot's oauth2 passdb asks one (RFC 7662).
  const seen: string[] = [];
  const idp = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      seen.push(token);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(token === ACCESS_TOKEN ? { active: true, username: USER } : { active: false }));
    });
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise<void>((r) => idp.close(() => r())));
  // Dovecot's auth process reads this as the dovecot user: a world-readable folder of its own.
  const confDir = await mkdtemp(join(tmpdir(), 'sftoken-oauth2-'));
  onCleanup(() => rm(confDir, { recursive: true, force: true }));
  await chmod(confDir, 0o755);
  const oauthConf = join(confDir, 'dovecot-oauth2.conf.ext');
  await writeFile(
    oauthConf,
    `introspection_mode = post\nintrospection_url = http://127.0.0.1:${(idp.address() as AddressInfo).port}/introspect\nforce_introspection = yes\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n`,
    { mode: 0o644 },
  );
  const dovecot = await Dovecot.start({ 'someone-else@acme.com': 'x' }, `passdb {\n  driver = oauth2\n  mechanisms = xoauth2\n  args = ${oauthConf}\n}\n`);
  await dovecot.append('someone-else@acme.com', 'x', []);

  const home = await tempDir();
  const tokenFile = join(home, 'access-token');
  await writeFile(tokenFile, `${ACCESS_TOKEN}\n`, { mode: 0o600 });
  const args = (command: string) => [
    'ingest',
    '--since',
    '1d',
    '--json',
    '--trust',
    'sender',
    '--no-verify',
    ...imapFlags(dovecot.port, USER),
    '--imap-access-token-command',
    command,
    '--store',
    `file:${join(home, 't.json')}`,
    '--state',
    join(home, 's.json'),
    '--log-level',
    'debug',
  ];

  // Deliver as the OAuth user, through XOAUTH2 itself.
  const { ImapFlow } = await import('imapflow');
  const deliver = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, doSTARTTLS: false, auth: { user: USER, accessToken: ACCESS_TOKEN }, logger: false });
  await deliver.connect();
  await deliver.append('INBOX', await readFile(fixturePath('01-plain-text.eml')));
  await deliver.logout();
  seen.length = 0;

  const ok = await sftoken(args(`cat ${tokenFile}`), isolatedEnv(home));
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(
    jsonLines(ok.stdout).map((r) => r.outcome),
    ['stored'],
  );
  assert.deepEqual(seen, [ACCESS_TOKEN], "the command's token, and only it, reached the identity provider");
  assert.deepEqual(leakedSecrets(ok.stdout + ok.stderr, [ACCESS_TOKEN]), []);

  // The command sees no sftoken secret: it dumps its environment on the way.
  const dump = join(home, 'helper-env');
  const secrets = {
    SFTOKEN_SF_USERNAME: 'plain@acme.com',
    SFTOKEN_SF_PASSWORD: 'sf-Pa55-never-for-helpers',
    SFTOKEN_SF_CLIENT_SECRET: 'client-secret-never-for-helpers',
    SFTOKEN_IMAP_PASSWORD: 'imap-pw-never-for-helpers',
  };
  const dumped = await sftoken(args(`env > ${dump}; cat ${tokenFile}`), isolatedEnv(home, secrets));
  assert.equal(dumped.code, 0, dumped.stderr);
  const helperEnv = await readFile(dump, 'utf8');
  assert.deepEqual(leakedSecrets(helperEnv, Object.values(secrets).slice(1)), []);
  assert.doesNotMatch(helperEnv, /^SFTOKEN_/m);
  assert.match(helperEnv, /^PATH=/m, 'what a helper needs is still there');

  const broken = await sftoken(args('exit 3'), isolatedEnv(home));
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /^sftoken: --imap-access-token-command failed: /m);
});
