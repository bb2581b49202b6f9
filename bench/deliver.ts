import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint } from '../src/util/fingerprint.js';
import { runCleanups } from '../test/helpers/cleanup.js';
import { isolatedEnv } from '../test/helpers/cli.js';
import { makeKey, sign, tokenEmail } from '../test/helpers/dkim.js';
import { CLI } from '../test/helpers/paths.js';
import { SalesforceStandIn } from '../test/helpers/salesforce.js';
import { tempDir } from '../test/helpers/tmp.js';
import { report } from './measure.js';

// Target (issue #12): handoff → stored through `sftoken deliver`, process start included, for one
// DKIM-signed token email (key from --dkim-keys) with a test login against the stand-in: median of
// 7 at most 500 ms, the floor of the IDLE path on Dovecot; aim for 250 ms. Beside it, a bare
// `node -e 0` start, timed the same way. Spawned asynchronously, since the stand-in answers from
// this process's event loop.
const RUNS = 7;
const LIMIT_MS = 500;
const TOKEN = 'Bm7Dl4Vr2Hx9Kq5Nt3Wz8Pc6';
const USER = 'bench@acme.com';
const PASSWORD = 'bench-Pa55';

function timed(args: readonly string[], env: NodeJS.ProcessEnv, input: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`exit ${code}: ${stderr}`))));
    child.stdin.end(input);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

try {
  const sf = await SalesforceStandIn.start();
  sf.addUser({ username: USER, password: PASSWORD, tokenFingerprint: fingerprint(TOKEN) });
  const key = makeKey('salesforce.com');
  const home = await tempDir();
  const keys = join(home, 'dkim-keys');
  await writeFile(keys, `${key.keyLine}\n`);
  const message = await sign(tokenEmail({ from: 'Salesforce <support@salesforce.com>', username: USER, token: TOKEN, date: 'Mon, 02 Nov 2026 09:15:00 +0000' }), key);
  const env = isolatedEnv(home, { SFTOKEN_SF_USERNAME: USER, SFTOKEN_SF_PASSWORD: PASSWORD });
  const deliverArgs = (run: number) => [CLI, 'deliver', '--dkim-keys', keys, '--login-url', sf.url, '--store', `file:${join(home, `tokens-${run}.json`)}`, '--state', join(home, `state-${run}.json`)];
  const node: number[] = [];
  const deliver: number[] = [];
  for (let run = -2; run < RUNS; run++) {
    const n = await timed(['-e', '0'], env, '');
    const d = await timed(deliverArgs(run), env, message);
    if (run >= 0) {
      node.push(n);
      deliver.push(d);
    }
  }
  const logins = sf.attempts.filter((a) => a.outcome === 'ok').length;
  const ms = median(deliver);
  report(
    'deliver: handoff → stored, DKIM + one test login, process start included',
    { deliver_median_ms: ms, node_e0_median_ms: median(node), logins, limit_ms: LIMIT_MS, aim_ms: 250 },
    ms <= LIMIT_MS && logins === RUNS + 2,
  );
} finally {
  await runCleanups();
}
