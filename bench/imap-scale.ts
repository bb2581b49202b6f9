import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { fingerprint } from '../src/util/fingerprint.js';
import { runCleanups } from '../test/helpers/cleanup.js';
import { isolatedEnv } from '../test/helpers/cli.js';
import { tokenEmail } from '../test/helpers/dkim.js';
import { Dovecot } from '../test/helpers/dovecot.js';
import { SalesforceStandIn } from '../test/helpers/salesforce.js';
import { tempDir } from '../test/helpers/tmp.js';
import { Watcher } from '../test/helpers/watcher.js';
import { cpuSeconds, report, rssMiB } from './measure.js';

// Targets (issue #15): one watcher over 200 mailboxes on one Dovecot: RSS under 250 MiB after
// start and after 200 deliveries (one per mailbox); APPEND → stored median within 1.2× of a bare
// imapflow IDLE client's APPEND → EXISTS on the same mailbox, told of the same APPEND;
// under 1 % of a core while idle for 60 s.
const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 200);
const IDLE_SECONDS = 60;
const RSS_LIMIT_MIB = 250;
const RATIO_LIMIT = 1.2;
const CPU_LIMIT = 0.01;
const PW = 'scale-imap';
const SF_PW = 'scale-sf';

const name = (i: number) => `box-${String(i).padStart(3, '0')}`;
const user = (i: number) => `scale-${i}@acme.com`;
const tokenOf = (i: number) => `zY8xW7vU6tS5rQ4pO3n${String(i).padStart(5, '0')}`;

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] as number;

// Dovecot tells an idling client of new mail through one inotify instance per IMAP process, and
// all 200 run as one uid; past the kernel's default of 128 per uid it stops listening ("Inotify
// instance limit … exceeded, disabling") and polls every 30 s instead, for the floor client as
// for ours. A mail server for this many users raises the limit; so does the bench, for its run.
const INOTIFY_LIMIT = '/proc/sys/fs/inotify/max_user_instances';
const inotifyBefore = readFileSync(INOTIFY_LIMIT, 'utf8').trim();
if (Number(inotifyBefore) < 2 * MAILBOXES + 64) {
  try {
    writeFileSync(INOTIFY_LIMIT, String(2 * MAILBOXES + 64));
  } catch {
    console.error(`bench/imap-scale: cannot raise ${INOTIFY_LIMIT} (${inotifyBefore}) to ${2 * MAILBOXES + 64}; run as root`);
    process.exit(2);
  }
}

try {
  const users: Record<string, string> = {};
  for (let i = 0; i < MAILBOXES; i++) users[user(i)] = PW;
  const dovecot = await Dovecot.start(users, 'default_process_limit = 1000\ndefault_client_limit = 4000\nmail_max_userip_connections = 20\n');
  // Every mailbox exists before the watcher looks.
  await Promise.all(Object.keys(users).map((u) => dovecot.append(u, PW, [])));
  const sf = await SalesforceStandIn.start();
  for (let i = 0; i < MAILBOXES; i++) sf.addUser({ username: `int-${i}@acme.com`, password: SF_PW, tokenFingerprint: fingerprint(tokenOf(i)) });
  const home = await tempDir();
  await writeFile(join(home, 'imap.pw'), PW);
  const config = join(home, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      accounts: Array.from({ length: MAILBOXES }, (_, i) => ({ username: `int-${i}@acme.com`, password: { env: 'SF_PW' } })),
      mailboxes: Array.from({ length: MAILBOXES }, (_, i) => ({
        name: name(i),
        imapHost: '127.0.0.1',
        imapPort: dovecot.port,
        imapUser: user(i),
        imapTls: false,
        imapPassword: { file: join(home, 'imap.pw') },
      })),
    }),
  );
  const w = Watcher.start(
    ['--trust', 'sender', '--config', config, '--login-url', sf.url, '--store', `file:${join(home, 'tokens.json')}`, '--state', join(home, 'state.json')],
    isolatedEnv(home, { SF_PW }),
  );
  const pid = w.child.pid as number;
  const startedAt = Date.now();
  await w.waitFor(() => (w.logs.filter((l) => l.msg === 'watching').length >= MAILBOXES ? true : undefined), `all ${MAILBOXES} mailboxes watched`, 120_000);
  const startMs = Date.now() - startedAt;
  await new Promise((r) => setTimeout(r, 2000));
  const afterStart = rssMiB(pid);

  // The floor: a bare imapflow client IDLE on the same mailbox, told of the same APPEND.
  const ours: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < MAILBOXES; i++) {
    const bare: ImapFlow = await dovecot.client(user(i), PW);
    await bare.mailboxOpen('INBOX');
    const floorSeen = new Promise<number>((resolve) => bare.once('exists', () => resolve(Date.now())));
    void bare.idle();
    await new Promise((r) => setTimeout(r, 100));
    const mail = tokenEmail({ from: 'support@salesforce.com', username: `int-${i}@acme.com`, token: tokenOf(i), date: 'Mon, 23 Nov 2026 10:00:00 +0000' });
    const t0 = Date.now();
    await dovecot.append(user(i), PW, [mail]);
    const rec = await w.record((r) => r.username === `int-${i}@acme.com`, `the token of mailbox ${i}`, 30_000);
    if (rec.outcome !== 'stored') throw new Error(`mailbox ${i}: ${String(rec.outcome)} ${String(rec.reason)}`);
    ours.push(Date.now() - t0);
    floor.push((await floorSeen) - t0);
    await bare.logout();
  }
  const afterDeliveries = rssMiB(pid);

  const before = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const idleCpu = (cpuSeconds(pid) - before) / IDLE_SECONDS;
  const median = quantile(ours, 0.5);
  const floorMedian = quantile(floor, 0.5);
  report(
    `watch over ${MAILBOXES} mailboxes`,
    {
      start_ms: startMs,
      rss_after_start_mib: afterStart,
      rss_after_deliveries_mib: afterDeliveries,
      stored_median_ms: median,
      stored_p90_ms: quantile(ours, 0.9),
      floor_median_ms: floorMedian,
      floor_p90_ms: quantile(floor, 0.9),
      ratio: median / floorMedian,
      idle_cpu_pct: idleCpu * 100,
      logins: sf.attempts.length,
    },
    Math.max(afterStart, afterDeliveries) < RSS_LIMIT_MIB && median / floorMedian <= RATIO_LIMIT && idleCpu < CPU_LIMIT && sf.attempts.length === MAILBOXES,
  );
  await w.stop();
} finally {
  await runCleanups();
  writeFileSync(INOTIFY_LIMIT, inotifyBefore);
}
