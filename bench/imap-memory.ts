import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCleanups } from '../test/helpers/cleanup.js';
import { isolatedEnv } from '../test/helpers/cli.js';
import { Dovecot } from '../test/helpers/dovecot.js';
import { HostileImap } from '../test/helpers/hostile-imap.js';
import { CLI, REPO } from '../test/helpers/paths.js';
import { tempDir } from '../test/helpers/tmp.js';
import { report } from './measure.js';

// Targets (issue #11): RSS under 150 MiB for a catch-up over 120 candidates of 1.9 MB each,
// and under 200 MiB against a server that streams an endless line for 40 s.
const CANDIDATES = 120;
const CANDIDATE_BYTES = 1_900_000;
const CATCH_UP_LIMIT_MIB = 150;
const ENDLESS_SECONDS = 40;
const ENDLESS_LIMIT_MIB = 200;
const USER = 'memory@acme.com';
const PW = 'bench-memory';

/** Peak resident memory of a child, from the kernel's high-water mark, sampled until it exits. */
function peakRss(child: ChildProcess): { peak: () => number; done: Promise<number | null> } {
  let peak = 0;
  const sample = (): void => {
    try {
      const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kib / 1024);
    } catch {
      // gone between two samples
    }
  };
  const timer = setInterval(sample, 20);
  const done = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve(code);
    }),
  );
  return { peak: () => (sample(), peak), done };
}

/**
 * Spam with a token-like subject. From a stranger, only its headers are fetched; forged as
 * Salesforce's support address, every one is downloaded whole for the DKIM check.
 */
function spam(i: number, from: string): Buffer {
  const head = `From: "Salesforce" <${from}>\r\nTo: ${USER}\r\nSubject: Your new Salesforce security token\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\nMessage-ID: <spam-${i}@lookalike.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  const line = 'Username: someone@acme.com Security token: notatoken '.padEnd(76, 'x') + '\r\n';
  return Buffer.from(head + line.repeat(Math.floor((CANDIDATE_BYTES - head.length) / line.length)));
}

try {
  // A catch-up over many large candidates, under the default trust policy (dkim).
  const dovecot = await Dovecot.start({ [USER]: PW });
  const maildir = join(dovecot.dir, 'mail', USER);
  const home = await tempDir();
  const env = isolatedEnv(home, { SFTOKEN_IMAP_PASSWORD: PW, SFTOKEN_SF_USERNAME: 'plain@acme.com', SFTOKEN_SF_PASSWORD: 'unused' });
  const common = ['--imap-host', '127.0.0.1', '--imap-user', USER, '--imap-tls', 'false', '--store', `file:${join(home, 't.json')}`, '--state', join(home, 's.json')];
  for (const [label, from] of [
    ['from a stranger', 'alerts@lookalike.example'],
    ['forged as Salesforce', 'support@salesforce.com'],
  ] as const) {
    await rm(maildir, { recursive: true, force: true });
    await rm(join(home, 's.json'), { force: true });
    for (const sub of ['', 'new', 'cur', 'tmp']) {
      await mkdir(join(maildir, sub), { recursive: true });
      await chown(join(maildir, sub), 65534, 65534);
    }
    for (let i = 0; i < CANDIDATES; i++) {
      const file = join(maildir, 'cur', `${1_700_000_000 + i}.M${i}P1.bench:2,`);
      await writeFile(file, spam(i, from));
      await chown(file, 65534, 65534);
    }
    const started = Date.now();
    const ingest = spawn(process.execPath, [CLI, 'ingest', '--since', '3650d', '--imap-port', String(dovecot.port), ...common], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    ingest.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    ingest.stderr?.resume();
    const catchUp = peakRss(ingest);
    const code = await catchUp.done;
    const rejected = out.split('\n').filter((l) => /rejected/.test(l)).length;
    const session = (await dovecot.sessions(USER)).slice(-1)[0];
    report(
      `ingest catch-up over ${CANDIDATES} candidates of ${(CANDIDATE_BYTES / 1e6).toFixed(1)} MB ${label}`,
      { peak_rss_mib: catchUp.peak(), limit_mib: CATCH_UP_LIMIT_MIB, wall_ms: Date.now() - started, exit: code ?? -1, refused: rejected, downloaded_mib: (session?.out ?? 0) / 2 ** 20 },
      catchUp.peak() < CATCH_UP_LIMIT_MIB && rejected === CANDIDATES,
    );
  }

  // A server that streams a line that never ends.
  const server = await HostileImap.start({ messages: [], select: 'endless-line' });
  const watch = spawn(process.execPath, [CLI, 'watch', '--imap-port', String(server.port), ...common], { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  watch.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const endless = peakRss(watch);
  await new Promise((r) => setTimeout(r, ENDLESS_SECONDS * 1000));
  const peak = endless.peak();
  watch.kill('SIGTERM');
  await endless.done;
  report(
    `watch against an endless line for ${ENDLESS_SECONDS} s`,
    { peak_rss_mib: peak, limit_mib: ENDLESS_LIMIT_MIB, server_sent_mib: server.bytesSent / 2 ** 20, connections: server.connections, line_cap_errors: (log.match(/Line length/g) ?? []).length },
    peak < ENDLESS_LIMIT_MIB && server.connections >= 2,
  );
} finally {
  await runCleanups();
}
