import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { decryptDataLoader, decryptWithOpenssl } from '../helpers/dataloader.js';
import { fingerprint } from '../../src/util/fingerprint.js';
import { isolatedEnv, jsonLines, run, sftoken } from '../helpers/cli.js';
import { fixtureIndex } from '../helpers/fixtures.js';
import { inKeyringSession } from '../helpers/keyring.js';
import { leakedSecrets } from '../helpers/leaks.js';
import { CLI } from '../helpers/paths.js';
import { SalesforceStandIn } from '../helpers/salesforce.js';
import { tempDir } from '../helpers/tmp.js';

// Each destination against the real thing that reads it: Node's dotenv parser and bash for a
// .env file, an independent AES decryption for Data Loader's files, a real `pass` with a private
// GnuPG home, and a hook script that records what it was given.
const PASSWORD = 'Dest1nation-Pa55';
const TOKEN_FP = fixtureIndex().find((f) => f.file === '01-plain-text.eml')?.fingerprint as string;
const USER = 'plain@acme.com';

async function world() {
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: TOKEN_FP });
  const home = await tempDir();
  const env = (extra: Record<string, string> = {}) => isolatedEnv(home, { SFTOKEN_SF_USERNAME: USER, SFTOKEN_SF_PASSWORD: PASSWORD, ...extra });
  const replay = (stores: string[], extra: Record<string, string> = {}) =>
    sftoken(['replay', 'fixtures/01-plain-text.eml', '--json', '--trust', 'sender', '--login-url', sf.url, '--state', join(home, 'state.json'), ...stores.flatMap((s) => ['--store', s])], env(extra));
  return { sf, home, env, replay };
}

const tokenOf = (passwordPlusToken: string) => passwordPlusToken.slice(PASSWORD.length);

test('dotenv: one variable is set, every other byte is kept, and Node dotenv and bash read the token', async () => {
  const { home, replay } = await world();
  const path = join(home, '.env');
  const before = "# ETL settings\nSF_USERNAME=plain@acme.com\nexport SF_TOKEN=\"old\"\nQUOTED='it''s'   # comment\nLAST=1";
  await writeFile(path, before);
  await chmod(path, 0o644);
  const r = await replay([`dotenv:${path}?var=SF_TOKEN&mode=0640`]);
  assert.equal(r.code, 0, r.stderr);
  const after = await readFile(path, 'utf8');
  const token = parseDotenv(after).SF_TOKEN ?? '';
  assert.equal(fingerprint(token), TOKEN_FP);
  assert.match(after, /^# sftoken: SF_TOKEN as of \d{4}-\d\d-\d\dT[\d:.]+Z\nexport SF_TOKEN=/m, 'one comment line above it says which email the token came from');
  assert.equal(after.replace(/export SF_TOKEN='[A-Za-z0-9]+'/, 'export SF_TOKEN="old"').replace(/^# sftoken: SF_TOKEN .*\n/m, ''), before, 'every other byte as it was, no final newline added');
  assert.equal((await stat(path)).mode & 0o777, 0o640, "an admin's 0644 ends at the mode asked for");
  const sourced = (await run('bash', ['-c', `source '${path}' && printf %s "$SF_TOKEN" | sha256sum`], process.env)).stdout;
  assert.equal(`sha256:${sourced.slice(0, 12)}`, TOKEN_FP);

  const fresh = join(home, 'new.env');
  await replay([`dotenv:${fresh}?var=SALESFORCE_TOKEN`]);
  assert.equal((await stat(fresh)).mode & 0o777, 0o600, 'created 0600');
  assert.equal(fingerprint(parseDotenv(await readFile(fresh, 'utf8')).SALESFORCE_TOKEN ?? ''), TOKEN_FP);
});

test('dataloader: config.properties gets password + token encrypted as Data Loader does; nothing else changes', async () => {
  const { home, replay } = await world();
  const key = randomBytes(32);
  const keyFile = join(home, 'dataLoader.key');
  await writeFile(keyFile, key);
  const path = join(home, 'config.properties');
  const lines = [
    '#Loader Config',
    'sfdc.endpoint=https\\://login.salesforce.com',
    `sfdc.username=${USER}`,
    'sfdc.password=0011223344',
    'process.encryptionKeyFile=' + keyFile,
    'dataAccess.type=csvRead',
    '',
  ];
  await writeFile(path, lines.join('\n'));
  const r = await replay([`dataloader:${path}?key=${keyFile}`]);
  assert.equal(r.code, 0, r.stderr);
  const written = (await readFile(path, 'utf8')).split('\n');
  // One comment line above the password says which email it came from; Data Loader skips # lines.
  assert.match(written[3] ?? '', /^# sftoken: sfdc\.password as of \d{4}-\d\d-\d\dT[\d:.]+Z$/);
  const after = written.filter((_, i) => i !== 3);
  const encrypted = after[3]?.replace('sfdc.password=', '') ?? '';
  assert.match(encrypted, /^[0-9a-f]{64,}$/);
  assert.equal(fingerprint(tokenOf(decryptDataLoader(encrypted, key))), TOKEN_FP);
  assert.equal(fingerprint(tokenOf(decryptWithOpenssl(encrypted, key))), TOKEN_FP);
  assert.ok(decryptDataLoader(encrypted, key).startsWith(PASSWORD));
  assert.deepEqual([...after.slice(0, 3), ...after.slice(4)], [...lines.slice(0, 3), ...lines.slice(4)]);
  assert.deepEqual(leakedSecrets(r.stdout + r.stderr, [PASSWORD]), []);
});

test("dataloader: in process-conf.xml only the user's bean changes", async () => {
  const { home, replay } = await world();
  const key = randomBytes(16);
  const keyFile = join(home, 'k.key');
  await writeFile(keyFile, key);
  const path = join(home, 'process-conf.xml');
  const bean = (id: string, user: string, password: string) =>
    [
      `    <bean id="${id}" class="com.salesforce.dataloader.process.ProcessRunner" scope="prototype">`,
      `        <property name="name" value="${id}"/>`,
      '        <property name="configOverrideMap">',
      '            <map>',
      `                <entry key="sfdc.username" value="${user}"/>`,
      `                <entry key="sfdc.password" value="${password}"/>`,
      '                <entry key="process.operation" value="extract"/>',
      '            </map>',
      '        </property>',
      '    </bean>',
    ].join('\n');
  const other = bean('otherExtract', 'other@acme.com', 'aabbccdd');
  const xml = `<!DOCTYPE beans PUBLIC "-//SPRING//DTD BEAN//EN" "http://www.springframework.org/dtd/spring-beans.dtd">\n<beans>\n${bean('accountExtract', USER, '00112233')}\n${other}\n</beans>\n`;
  await writeFile(path, xml);
  const r = await replay([`dataloader:${path}?key=${keyFile}`]);
  assert.equal(r.code, 0, r.stderr);
  const after = await readFile(path, 'utf8');
  const encrypted = /key="sfdc\.username" value="plain@acme\.com"\/>\n\s*<entry key="sfdc\.password" value="([0-9a-f]+)"/.exec(after)?.[1] ?? '';
  assert.equal(fingerprint(tokenOf(decryptDataLoader(encrypted, key))), TOKEN_FP);
  assert.ok(after.includes(other), 'the other bean is untouched');
  assert.equal(after.replace(encrypted, '00112233'), xml, 'nothing else changed');
});

test('dataloader: a username entry inside an XML comment is not taken for the user, and the comment stays', async () => {
  const { home, replay } = await world();
  const key = randomBytes(16);
  const keyFile = join(home, 'k.key');
  await writeFile(keyFile, key);
  const path = join(home, 'process-conf.xml');
  // Someone kept the old user as a comment in another bean: a text search would take it for ours.
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<beans>',
    '  <bean id="other" class="com.salesforce.dataloader.process.ProcessRunner">',
    '    <property name="configOverrideMap"><map>',
    `      <!-- <entry key="sfdc.username" value="${USER}"/> -->`,
    "      <entry key='sfdc.username' value='other@acme.com'/>",
    "      <entry key='sfdc.password' value='aabbccdd'/>",
    '    </map></property>',
    '  </bean>',
    '  <bean id="ours" class="com.salesforce.dataloader.process.ProcessRunner">',
    '    <property name="configOverrideMap"><map>',
    `\t<entry key="sfdc.username" value="${USER}"/>`,
    '    </map></property>',
    '  </bean>',
    '</beans>',
    '',
  ].join('\n');
  await writeFile(path, xml, { mode: 0o600 });
  const r = await replay([`dataloader:${path}?key=${keyFile}`]);
  assert.equal(r.code, 0, r.stderr);
  const after = await readFile(path, 'utf8');
  const added = new RegExp(`\\t<entry key="sfdc\\.username" value="${USER.replace('.', '\\.')}"/>\\n\\t<entry key="sfdc\\.password" value="([0-9a-f]+)"/>`).exec(after);
  assert.ok(added, after);
  assert.equal(fingerprint(tokenOf(decryptDataLoader(added[1] ?? '', key))), TOKEN_FP);
  assert.equal(after.replace(`\n\t<entry key="sfdc.password" value="${added[1] ?? ''}"/>`, ''), xml, 'the other bean, its comment and every other byte as they were');
});

test('dataloader refuses clearly without a password, and for a file that is for another user', async () => {
  const { home, replay } = await world();
  await writeFile(join(home, 'k.key'), randomBytes(16));
  const path = join(home, 'config.properties');
  await writeFile(path, 'sfdc.username=someone@else.com\n', { mode: 0o600 });
  const wrongUser = await replay([`dataloader:${path}?key=${join(home, 'k.key')}`]);
  assert.equal(wrongUser.code, 2);
  assert.match(wrongUser.stderr, /sftoken: Data Loader config .* is for someone@else\.com, not plain@acme\.com/);
  const noPassword = await sftoken(
    ['replay', 'fixtures/01-plain-text.eml', '--no-verify', '--trust', 'sender', '--state', join(home, 's2.json'), '--store', `dataloader:${path}?key=${join(home, 'k.key')}`],
    isolatedEnv(home),
  );
  assert.equal(noPassword.code, 2);
  // config.properties holds one user's password: without the account it is for, nothing is written.
  assert.match(noPassword.stderr, /^sftoken: --store dataloader:.* holds one token: name the one account it is for/);
});

async function passStore(home: string): Promise<Record<string, string>> {
  const gnupg = join(home, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  const env = { ...process.env, GNUPGHOME: gnupg, PASSWORD_STORE_DIR: join(home, 'password-store') };
  execFileSync('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'sftoken-test@example.invalid', 'default', 'default', 'never'], { env, stdio: 'ignore' });
  execFileSync('pass', ['init', 'sftoken-test@example.invalid'], { env, stdio: 'ignore' });
  return { GNUPGHOME: gnupg, PASSWORD_STORE_DIR: join(home, 'password-store') };
}

test('pass: the token goes in with pass insert and reads back with pass show', async () => {
  const { home, replay } = await world();
  const passEnv = await passStore(home);
  const r = await replay(['pass:salesforce'], passEnv);
  assert.equal(r.code, 0, r.stderr);
  const shown = execFileSync('pass', ['show', `salesforce/${USER}`], { env: { ...process.env, ...passEnv } })
    .toString()
    .split('\n');
  assert.equal(fingerprint(shown[0] ?? ''), TOKEN_FP, 'the token on the first line, as pass -c and head -n1 read it');
  assert.match(shown[1] ?? '', /^order-time: \d{4}-\d\d-\d\dT/);
  assert.equal(shown[2], `fingerprint: ${TOKEN_FP}`);
});

test('exec: the token arrives on stdin alone, never in argv; the environment says who, and holds no secret of ours', async () => {
  const { home, replay } = await world();
  const hook = join(home, 'hook.sh');
  await writeFile(hook, `#!/bin/sh\ncat > "${home}/stdin"\nprintf '%s\\n' "$@" > "${home}/argv"\nenv > "${home}/env"\necho "hook: delivered" >&2\n`);
  await chmod(hook, 0o755);
  const r = await replay([`exec:${hook} --namespace etl 'two words'`], { SF_PW_COPY: PASSWORD });
  assert.equal(r.code, 0, r.stderr);
  const stdin = await readFile(join(home, 'stdin'), 'utf8');
  assert.equal(fingerprint(stdin.replace(/\n$/, '')), TOKEN_FP);
  assert.ok(stdin.endsWith('\n'));
  assert.deepEqual((await readFile(join(home, 'argv'), 'utf8')).split('\n').filter(Boolean), ['--namespace', 'etl', 'two words']);
  const env = await readFile(join(home, 'env'), 'utf8');
  assert.match(env, /^SFTOKEN_USERNAME=plain@acme\.com$/m);
  assert.match(env, new RegExp(`^SFTOKEN_FINGERPRINT=${TOKEN_FP}$`, 'm'));
  assert.match(env, /^SFTOKEN_EMAIL_DATE=\d{4}-/m);
  assert.deepEqual(leakedSecrets(env, [PASSWORD]), [], 'no password, no token in its environment');
  assert.match(r.stderr, /destination program says.*hook: delivered/);
});

test('five destinations, one login: a failing one is retried alone, without another login, until every one has the token', async () => {
  const { sf, home, env } = await world();
  const passEnv = await passStore(home);
  const key = randomBytes(16);
  await writeFile(join(home, 'k.key'), key);
  await writeFile(join(home, 'config.properties'), `sfdc.username=${USER}\n`);
  await writeFile(join(home, 'etl.env'), 'OTHER=1\n');
  // A hook that fails until its target exists: a secret manager that is down, then back.
  const hook = join(home, 'hook.sh');
  await writeFile(hook, `#!/bin/sh\n[ -d "${home}/vault-up" ] || { echo "vault: connection refused" >&2; exit 1; }\necho run >> "${home}/hook-runs"\ncat > "${home}/vault-up/token"\n`);
  await chmod(hook, 0o755);
  const stores = [
    'keychain:sftoken-fanout',
    `dotenv:${join(home, 'etl.env')}?var=SF_TOKEN`,
    `dataloader:${join(home, 'config.properties')}?key=${join(home, 'k.key')}`,
    `exec:${hook}`,
    'pass:salesforce',
  ];
  const command = `"${process.execPath}" "${CLI}" replay fixtures/01-plain-text.eml --json --trust sender --login-url ${sf.url} --state ${join(home, 'state.json')} ${stores.map((s) => `--store '${s}'`).join(' ')}`;
  const inode = `stat -c '%i %Y' ${join(home, 'etl.env')}`;
  const script = `${command} > ${home}/run1.out; echo "exit1=$?"\n${inode} > ${home}/dotenv-after-1\nmkdir ${home}/vault-up\n${command} > ${home}/run2.out; echo "exit2=$?"\n${inode} > ${home}/dotenv-after-2\nsecret-tool lookup service sftoken-fanout account ${USER} | sha256sum`;
  const envFor = env({ ...passEnv });
  const r = await inKeyringSession(
    home,
    script,
    Object.fromEntries(
      Object.entries(envFor)
        .filter(([k]) => k.startsWith('SFTOKEN_') || k in passEnv)
        .map(([k, v]) => [k, v ?? '']),
    ),
  );
  assert.match(r.stdout, /exit1=1/, r.stderr);
  assert.match(r.stdout, /exit2=0/, r.stderr);
  const [first] = jsonLines(await readFile(join(home, 'run1.out'), 'utf8'));
  const [second] = jsonLines(await readFile(join(home, 'run2.out'), 'utf8'));
  assert.deepEqual([first?.outcome, first?.reason], ['failed', `store-unavailable:exec:${hook}`]);
  assert.deepEqual([second?.outcome, second?.verified], ['stored', true]);
  assert.equal(sf.attempts.length, 1, 'exactly one login');
  assert.equal(`sha256:${/^([0-9a-f]{12})/.exec(r.stdout.split('\n').find((l) => /^[0-9a-f]{64}/.test(l)) ?? '')?.[1]}`, TOKEN_FP, 'the keychain has it');
  assert.equal(fingerprint(parseDotenv(await readFile(join(home, 'etl.env'), 'utf8')).SF_TOKEN ?? ''), TOKEN_FP);
  const encrypted = /sfdc\.password=([0-9a-f]+)/.exec(await readFile(join(home, 'config.properties'), 'utf8'))?.[1] ?? '';
  assert.equal(fingerprint(tokenOf(decryptDataLoader(encrypted, key))), TOKEN_FP);
  assert.equal(fingerprint((await readFile(join(home, 'vault-up', 'token'), 'utf8')).trim()), TOKEN_FP);
  assert.equal(
    fingerprint(
      execFileSync('pass', ['show', `salesforce/${USER}`], { env: { ...process.env, ...passEnv } })
        .toString()
        .split('\n')[0] ?? '',
    ),
    TOKEN_FP,
  );
  assert.equal((await readFile(join(home, 'hook-runs'), 'utf8')).trim().split('\n').length, 1, 'the hook delivered once');
  assert.equal(await readFile(join(home, 'dotenv-after-1'), 'utf8'), await readFile(join(home, 'dotenv-after-2'), 'utf8'), 'a destination that had the token is not written again');
  assert.deepEqual(leakedSecrets(r.stdout + r.stderr + (await readFile(join(home, 'run1.out'), 'utf8')), [PASSWORD]), []);
});

test('a failing hook that echoes the token on stderr leaks it nowhere: not the record, the log or a notification', async () => {
  const { home } = await world();
  const hook = join(home, 'loud.sh');
  // A careless hook: prints what it read, then fails.
  await writeFile(hook, '#!/bin/sh\ntoken=$(cat)\necho "could not push token $token" >&2\nexit 3\n');
  await chmod(hook, 0o755);
  const bodies: string[] = [];
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => (bodies.push(body), res.writeHead(200).end()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port; // a TCP server's address has a port
    const r = await sftoken(
      ['replay', 'fixtures/01-plain-text.eml', '--trust', 'sender', '--no-verify', '--state', join(home, 'state.json'), '--store', `exec:${hook}`, '--notify', `http://127.0.0.1:${port}/hook`],
      isolatedEnv(home),
    );
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^failed .*store-unavailable:exec:.*could not push token \[redacted sha256:b97bf19568ec\]/);
    assert.equal(bodies.length, 1);
    assert.deepEqual(leakedSecrets(r.stdout + r.stderr + bodies.join(''), [PASSWORD]), [], 'no token anywhere');
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
