import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint } from '../../src/util/fingerprint.js';
import { isolatedEnv, jsonLines, sftoken } from '../helpers/cli.js';
import { makeKey, sign, tokenEmail } from '../helpers/dkim.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';

// The fixture tokens' fingerprints are known; the tokens themselves come from the fixture files.
const fpOf = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;
async function tokenIn(file: string): Promise<string> {
  return /Security token \(case-sensitive\): (\w+)/.exec(await readFile(join('fixtures', file), 'utf8'))?.[1] as string;
}

const PASSWORD = 'Pw-for-trust-tests';
const SF = makeKey('salesforce.com');
const EVIL = makeKey('evil-mail.io');
const LOOKALIKE = makeKey('salesforce.com.example.io');
const ACME = makeKey('acme.com', 'mail');

test('with default trust only DKIM-proven mail leads to a login and a store; nothing else logs in', async () => {
  const home = await tempDir();
  const dir = join(home, 'mail');
  await mkdir(dir);
  const good = await tokenIn('01-plain-text.eml');
  const fwdToken = await tokenIn('15-forwarded-by-person.eml');
  const base = { username: 'plain@acme.com', token: good };
  const at = (min: number) => `Mon, 02 Nov 2026 10:${String(min).padStart(2, '0')}:00 +0000`;
  const sfMail = (date: string) => tokenEmail({ from: 'Salesforce <support@salesforce.com>', date, ...base });
  const tampered = (await sign(sfMail(at(2)), SF)).replace('For more information', 'For more details');
  const files: Record<string, string> = {
    'good.eml': await sign(sfMail(at(1)), SF),
    'body-changed.eml': tampered,
    'other-domain-signature.eml': await sign(sfMail(at(3)), EVIL),
    'unsigned.eml': sfMail(at(4)),
    'lookalike.eml': await sign(tokenEmail({ from: 'support@salesforce.com.example.io', date: at(5), ...base }), LOOKALIKE),
    'forward-listed.eml': await sign(
      tokenEmail({ from: 'Pat Admin <pat.admin@acme.com>', username: 'fwd@acme.com', token: fwdToken, date: at(6), subject: 'Fwd: Your new Salesforce security token', quote: true }),
      ACME,
    ),
    'forward-unlisted.eml': await sign(
      tokenEmail({ from: 'Carol <carol@acme.com>', username: 'fwd@acme.com', token: fwdToken, date: at(7), subject: 'Fwd: Your new Salesforce security token', quote: true }),
      ACME,
    ),
  };
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  const keys = join(home, 'dkim-keys.txt');
  await writeFile(keys, [SF, EVIL, LOOKALIKE, ACME].map((k) => k.keyLine).join('\n') + '\n');
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'plain@acme.com', password: PASSWORD, tokenFingerprint: fpOf('01-plain-text.eml') });
  sf.addUser({ username: 'fwd@acme.com', password: PASSWORD, tokenFingerprint: fingerprint(fwdToken) });
  const config = join(home, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      trustedForwarders: ['pat.admin@acme.com'],
      accounts: ['plain@acme.com', 'fwd@acme.com'].map((username) => ({ username, password: { env: 'SF_PW' } })),
    }),
  );

  const r = await sftoken(
    ['replay', dir, '--json', '--config', config, '--dkim-keys', keys, '--login-url', sf.url, '--store', `file:${join(home, 't.json')}`, '--state', join(home, 's.json')],
    isolatedEnv(home, { SF_PW: PASSWORD }),
  );
  assert.equal(r.code, 3, 'refused token emails: a person must look');
  const by = Object.fromEntries(jsonLines(r.stdout).map((x): [string, unknown[]] => [String(x.source).split('/').pop() ?? '', [x.outcome, x.reason]]));
  assert.deepEqual(by, {
    'good.eml': ['stored', 'dkim:salesforce.com'],
    'body-changed.eml': ['rejected', 'dkim-fail:body-hash'],
    'other-domain-signature.eml': ['rejected', 'dkim-unaligned'],
    'unsigned.eml': ['rejected', 'dkim-missing'],
    'lookalike.eml': ['rejected', 'untrusted-sender'],
    'forward-listed.eml': ['stored', 'forwarder:pat.admin@acme.com+dkim:acme.com'],
    'forward-unlisted.eml': ['rejected', 'untrusted-sender'],
  });
  assert.deepEqual(sf.attempts.map((a) => a.username).sort(), ['fwd@acme.com', 'plain@acme.com'], 'one login per trusted token, none for the rest');
  assert.match(r.stderr, /"msg":"token email trusted".*"via":"dkim:salesforce\.com"/);
  assert.match(r.stderr, /"msg":"token email not trusted".*"reason":"dkim-unaligned"/);
});

test("with --trust auth-results only the named server's header counts", async () => {
  const home = await tempDir();
  const good = await tokenIn('01-plain-text.eml');
  const received = 'Received: from mail.salesforce.com by mx.acme.com with ESMTPS; Mon, 02 Nov 2026 10:00:01 +0000\r\n';
  const ar = 'Authentication-Results: mx.acme.com; dkim=pass header.d=salesforce.com; dmarc=pass header.from=salesforce.com\r\n';
  const mail = (date: string, headers: string) => tokenEmail({ from: 'support@salesforce.com', username: 'plain@acme.com', token: good, date, extraHeaders: headers });
  await writeFile(join(home, 'forged.eml'), mail('Mon, 02 Nov 2026 10:05:00 +0000', received + ar));
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: 'plain@acme.com', password: PASSWORD, tokenFingerprint: fpOf('01-plain-text.eml') });
  const args = ['--json', '--trust', 'auth-results', '--authserv-id', 'mx.acme.com', '--login-url', sf.url, '--store', `file:${join(home, 't.json')}`, '--state', join(home, 's.json')];
  const env = isolatedEnv(home, { SFTOKEN_SF_USERNAME: 'plain@acme.com', SFTOKEN_SF_PASSWORD: PASSWORD });
  const forged = await sftoken(['replay', join(home, 'forged.eml'), ...args], env);
  assert.deepEqual(
    jsonLines(forged.stdout).map((x) => [x.outcome, x.reason]),
    [['rejected', 'auth-results-missing']],
  );
  // The receiving server's own line names its host; the sender's verdict sits above a forged hop
  // that names the authserv-id.
  const ownHop = 'Received: from mail.attacker.example by mail.acme.com with ESMTPS; Mon, 02 Nov 2026 10:04:02 +0000\r\n';
  await writeFile(join(home, 'forged-hop.eml'), mail('Mon, 02 Nov 2026 10:04:00 +0000', ownHop + ar + received));
  const forgedHop = await sftoken(['replay', join(home, 'forged-hop.eml'), ...args], env);
  assert.deepEqual(
    jsonLines(forgedHop.stdout).map((x) => [x.outcome, x.reason]),
    [['rejected', 'auth-results-missing']],
  );
  assert.equal(sf.attempts.length, 0);

  await writeFile(join(home, 'added.eml'), mail('Mon, 02 Nov 2026 10:06:00 +0000', ar + received));
  const added = await sftoken(['replay', join(home, 'added.eml'), ...args], env);
  assert.deepEqual(
    jsonLines(added.stdout).map((x) => [x.outcome, x.reason]),
    [['stored', 'auth-results:mx.acme.com:dkim']],
  );
  assert.equal(sf.attempts.length, 1);

  const noId = await sftoken(['replay', join(home, 'added.eml'), '--trust', 'auth-results'], env);
  assert.equal(noId.code, 2);
  assert.match(noId.stderr, /^sftoken: --trust auth-results needs --authserv-id/);
});

test('a malformed --dkim-keys file is a configuration error naming the line', async () => {
  const home = await tempDir();
  const keys = join(home, 'keys.txt');
  await writeFile(keys, `${SF.keyLine}\nsf2._domainkey.salesforce.com\n`);
  const r = await sftoken(['replay', 'fixtures/01-plain-text.eml', '--dry-run', '--dkim-keys', keys], isolatedEnv(home));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^sftoken: --dkim-keys .*keys\.txt, line 2: expected/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
