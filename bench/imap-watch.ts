import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCleanups } from '../test/helpers/cleanup.js';
import { isolatedEnv } from '../test/helpers/cli.js';
import { tokenEmail } from '../test/helpers/dkim.js';
import { Dovecot } from '../test/helpers/dovecot.js';
import { SalesforceStandIn } from '../test/helpers/salesforce.js';
import { tempDir } from '../test/helpers/tmp.js';
import { Watcher } from '../test/helpers/watcher.js';
import { report, rssMiB } from './measure.js';
import { imapFlags } from '../test/helpers/imap-flags.js';

// Targets (issue #4): APPEND → token stored, median under 1 s on loopback Dovecot with the login
// stand-in; watcher RSS under 120 MiB and flat across 500 deliveries and 20 reconnects.
const LATENCY_SAMPLES = 30;
const DELIVERIES = 500;
const RECONNECTS = 20;
const BATCH = 5;
const LATENCY_LIMIT_MS = 1000;
const RSS_LIMIT_MIB = 120;
// "Flat": what the heap settles to after warm-up may wander a little, not climb with the load.
const RSS_GROWTH_LIMIT_MIB = 15;
const USER = 'watch-bench@acme.com';
const PW = 'bench-imap';
const SF_USER = 'load@acme.com';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const token = () => [...randomBytes(24)].map((b) => alphabet[b % alphabet.length]).join('');
let n = 0;
/** A new token email, newer than every one before it, with its Message-ID to wait for. */
function nextEmail(): { raw: string; messageId: string } {
  n++;
  const raw = tokenEmail({ from: 'Salesforce <support@salesforce.com>', username: SF_USER, token: token(), date: new Date(Date.UTC(2026, 10, 1) + n * 60_000).toUTCString().replace('GMT', '+0000') });
  return { raw, messageId: /^Message-ID: (<[^>]+>)/m.exec(raw)?.[1] as string };
}

try {
  const dovecot = await Dovecot.start({ [USER]: PW });
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: SF_USER, password: 'sf', tokenFingerprint: '*' });
  const home = await tempDir();
  const config = join(home, 'config.json');
  await writeFile(config, JSON.stringify({ accounts: [{ username: SF_USER, password: { env: 'SF_PW' } }] }));
  const w = Watcher.start(
    [
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
      'warn',
      '--heartbeat',
      '5',
    ],
    isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: PW, SF_PW: 'sf' }),
  );
  const pid = w.child.pid as number;
  await w.waitFor(() => (rssMiB(pid) > 0 && w.child.exitCode === null ? true : undefined), 'start');
  // Connected once the first catch-up (of an empty mailbox) has settled.
  await new Promise((r) => setTimeout(r, 1500));

  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const mail = nextEmail();
    const started = Date.now();
    await dovecot.append(USER, PW, [mail.raw]);
    const rec = await w.record((r) => r.messageId === mail.messageId, `delivery ${i}`);
    if (rec.outcome !== 'stored') throw new Error(`delivery ${i}: ${String(rec.outcome)} ${String(rec.reason)}`);
    latencies.push(Date.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const median = latencies[Math.floor(latencies.length / 2)] as number;
  report(
    `watch: APPEND → stored (${LATENCY_SAMPLES} deliveries, one login each)`,
    { median_ms: median, p90_ms: latencies[Math.floor(latencies.length * 0.9)] as number, max_ms: latencies[latencies.length - 1] as number, limit_ms: LATENCY_LIMIT_MS },
    median < LATENCY_LIMIT_MS,
  );

  const samples: number[] = [];
  const batches = DELIVERIES / BATCH;
  const restartEveryBatches = batches / RECONNECTS;
  let baseline = 0;
  for (let b = 0, delivered = 0; b < batches; b++, delivered += BATCH) {
    const batch = Array.from({ length: BATCH }, nextEmail);
    await dovecot.append(
      USER,
      PW,
      batch.map((m) => m.raw),
    );
    const last = batch[batch.length - 1] as { messageId: string };
    await w.record((r) => r.messageId === last.messageId, `batch ending at ${delivered + BATCH}`, 60_000);
    if ((b + 1) % restartEveryBatches === 0) {
      const before = w.logs.length;
      await dovecot.down();
      await dovecot.up();
      await w.waitFor(() => w.logs.slice(before).find((l) => l.msg === 'reconnecting'), 'a reconnect', 30_000);
    }
    const rss = rssMiB(pid);
    samples.push(rss);
    if (delivered + BATCH === 100) baseline = rss;
  }
  const final = samples[samples.length - 1] as number;
  const max = Math.max(...samples);
  const reconnects = w.logs.filter((l) => l.msg === 'reconnecting').length;
  const stored = w.records.filter((r) => r.outcome === 'stored').length;
  report(
    `watch: RSS over ${DELIVERIES} deliveries and ${RECONNECTS} server restarts`,
    {
      rss_after_100_mib: baseline,
      rss_after_300_mib: samples[300 / BATCH - 1] as number,
      rss_final_mib: final,
      rss_max_mib: max,
      growth_mib: final - baseline,
      reconnects,
      stored,
      logins: sf.attempts.length,
      limit_mib: RSS_LIMIT_MIB,
    },
    max < RSS_LIMIT_MIB && final - baseline < RSS_GROWTH_LIMIT_MIB && reconnects >= RECONNECTS,
  );
  await w.stop();
} finally {
  await runCleanups();
}
