import { chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCleanups } from '../test/helpers/cleanup.js';
import { isolatedEnv, sftoken } from '../test/helpers/cli.js';
import { Dovecot } from '../test/helpers/dovecot.js';
import { fixtureIndex, fixturePath } from '../test/helpers/fixtures.js';
import { noise } from '../test/helpers/noise.js';
import { SalesforceStandIn } from '../test/helpers/salesforce.js';
import { tempDir } from '../test/helpers/tmp.js';
import { report } from './measure.js';
import { imapFlags } from '../test/helpers/imap-flags.js';

// Target (issue #4): ingest over a 20,000-message mailbox holding 4 token emails takes under
// 5 s and downloads under 1 % of the mailbox's bytes.
const NOISE = 20_000;
const TOKENS = ['19-same-user-1.eml', '19-same-user-2.eml', '19-same-user-3.eml', '01-plain-text.eml'];
const LIMIT_MS = 5000;
const LIMIT_SHARE = 0.01;
const USER = 'bench@acme.com';
const PW = 'bench-imap';

try {
  const dovecot = await Dovecot.start({ [USER]: PW });
  // Written straight into the maildir: 20,000 APPENDs would take longer than the benchmark.
  const maildir = join(dovecot.dir, 'mail', USER);
  for (const sub of ['', 'new', 'cur', 'tmp']) {
    await mkdir(join(maildir, sub), { recursive: true });
    await chown(join(maildir, sub), 65534, 65534);
  }
  let mailboxBytes = 0;
  const messages = [...Array.from({ length: NOISE }, (_, i) => Buffer.from(noise(i))), ...(await Promise.all(TOKENS.map((f) => readFile(fixturePath(f)))))];
  for (const [i, m] of messages.entries()) {
    const file = join(maildir, 'cur', `${1_700_000_000 + i}.M${i}P1.bench:2,`);
    await writeFile(file, m);
    await chown(file, 65534, 65534);
    mailboxBytes += (await stat(file)).size;
  }
  // A real mailbox is indexed already: index it before the clock starts.
  const warm = await dovecot.client(USER, PW);
  await warm.mailboxOpen('INBOX');
  await warm.logout();

  const sf = await SalesforceStandIn.start();
  const fp = (file: string) => fixtureIndex().find((f) => f.file === file)?.fingerprint as string;
  sf.addUser({ username: 'multi@acme.com', password: 'sf', tokenFingerprint: fp('19-same-user-3.eml') });
  sf.addUser({ username: 'plain@acme.com', password: 'sf', tokenFingerprint: fp('01-plain-text.eml') });
  const home = await tempDir();
  const config = join(home, 'config.json');
  await writeFile(config, JSON.stringify({ accounts: ['multi@acme.com', 'plain@acme.com'].map((username) => ({ username, password: { env: 'SF_PW' } })) }));
  const started = process.hrtime.bigint();
  const r = await sftoken(
    [
      'ingest',
      '--since',
      '3650d',
      '--json',
      '--trust',
      'sender',
      '--config',
      config,
      ...imapFlags(dovecot.port, USER),
      '--login-url',
      sf.url,
      '--store',
      `file:${join(home, 't.json')}`,
      '--state',
      join(home, 's.json'),
      '--log-level',
      process.env.BENCH_LOG_LEVEL ?? 'warn',
    ],
    isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: PW, SF_PW: 'sf' }),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.code !== 0) throw new Error(`ingest exited ${r.code}: ${r.stderr}`);
  if (process.env.BENCH_LOG_LEVEL) process.stderr.write(r.stderr);
  const stored = r.stdout.split('\n').filter((l) => l.includes('"stored"')).length;
  const session = (await dovecot.sessions(USER)).slice(-1)[0];
  const share = (session?.out ?? Infinity) / mailboxBytes;
  report(
    `ingest over ${messages.length} messages (${TOKENS.length} token emails)`,
    {
      wall_ms: ms,
      mailbox_kib: mailboxBytes / 1024,
      imap_out_kib: (session?.out ?? 0) / 1024,
      body_kib: (session?.bodyBytes ?? 0) / 1024,
      bodies_fetched: session?.bodyCount ?? -1,
      downloaded_pct: share * 100,
      stored,
      logins: sf.attempts.length,
    },
    ms < LIMIT_MS && share < LIMIT_SHARE && stored === 2,
  );
} finally {
  await runCleanups();
}
