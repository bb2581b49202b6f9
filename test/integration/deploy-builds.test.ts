import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { run } from '../helpers/cli.js';
import { REPO } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

// No container engine runs here, so the Dockerfile's build stage is run the way the engine would:
// its commands as written, in a copy of the build context that .dockerignore leaves, and then
// every path the runtime stage copies from it must be there.

interface Stage {
  from: string;
  name: string | null;
  steps: Array<{ op: string; args: string }>;
}

function stages(dockerfile: string): Stage[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op === 'FROM') out.push({ from: rest[0] ?? '', name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? null, steps: [] });
    else out.at(-1)?.steps.push({ op, args });
  }
  return out;
}

/** The build context as the engine sends it: the repository less what .dockerignore names. */
function context(into: string): void {
  const patterns = readFileSync(join(REPO, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const ignored = (path: string): boolean => {
    const rel = relative(REPO, path);
    return patterns.some((p) => (p.startsWith('*.') ? rel.endsWith(p.slice(1)) : rel === p || rel.startsWith(`${p}/`)));
  };
  cpSync(REPO, into, { recursive: true, filter: (src) => src === REPO || !ignored(src) });
}

test('the Dockerfile builds: its build stage runs as written in a clean context, and the runtime stage finds what it copies', { timeout: 600_000 }, async () => {
  const dockerfile = readFileSync(join(REPO, 'deploy', 'Dockerfile'), 'utf8');
  const [build, runtime] = stages(dockerfile);
  assert.ok(build && runtime && build.name, 'a named build stage and a runtime stage');
  const ctx = await tempDir();
  context(ctx);
  assert.equal(existsSync(join(ctx, 'node_modules')), false, '.dockerignore keeps node_modules out of the context');
  assert.equal(existsSync(join(ctx, 'dist')), false, '.dockerignore keeps a local build out of the context');
  const root = await tempDir();
  let workdir = root;
  const env = { ...process.env, npm_config_loglevel: 'error', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_prefer_offline: 'true' };
  for (const { op, args } of build.steps) {
    if (op === 'WORKDIR') workdir = join(root, args);
    else if (op === 'COPY') {
      const parts = args.split(/\s+/);
      const dest = parts.pop() ?? '.';
      for (const src of parts) cpSync(join(ctx, src), src === '.' ? workdir : join(workdir, dest.endsWith('/') || dest === './' ? basename(src) : dest), { recursive: true });
    } else if (op === 'RUN') {
      const r = await run('sh', ['-c', `cd '${workdir}' && ${args}`], env);
      assert.equal(r.code, 0, `RUN ${args}\n${r.stderr.slice(-3000)}`);
    } else assert.fail(`the build stage uses ${op}, which this test does not run`);
  }
  const copied = runtime.steps.filter((s) => s.op === 'COPY' && s.args.startsWith(`--from=${build.name}`));
  assert.ok(copied.length > 0, 'the runtime stage copies from the build stage');
  for (const { args } of copied) {
    const [, from = ''] = args.split(/\s+/);
    const pattern = new RegExp(`^${basename(from).replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    const found = readdirSync(dirname(from)).filter((f) => pattern.test(f));
    assert.equal(found.length, 1, `${from}: ${found.join(', ') || 'nothing'}`);
    for (const f of found) rmSync(join(dirname(from), f));
  }
  const user = runtime.steps.filter((s) => s.op === 'USER').at(-1)?.args;
  assert.ok(user && user !== 'root' && user !== '0', 'the image runs as an unprivileged user');
  assert.ok(
    runtime.steps.some((s) => s.op === 'HEALTHCHECK' && s.args.includes('/healthz')),
    'a health check on /healthz',
  );
});

const UNIT = join(REPO, 'deploy', 'sftoken-watch.service');

test('the systemd unit passes systemd-analyze verify', async () => {
  const r = await run('systemd-analyze', ['verify', UNIT], process.env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'no warnings');
});

test("the unit header's config and credentials load as the service would load them, and check runs on them", async () => {
  const header = readFileSync(UNIT, 'utf8');
  // The example config: the comment lines from the one that opens a JSON object to the one that closes it.
  const lines = header.split('\n').map((l) => l.replace(/^#\s?/, ''));
  const first = lines.findIndex((l) => l.trim().startsWith('{ "accounts"'));
  const last = lines.findIndex((l, i) => i > first && l.trim().endsWith('}'));
  const home = await tempDir();
  const config = JSON.parse(lines.slice(first, last + 1).join('\n')) as Record<string, unknown>;
  // The service's own paths, moved into the test's folder.
  const text = JSON.stringify(config).replaceAll('/var/lib/sftoken', home);
  const credentials = join(home, 'credentials');
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(credentials);
  await writeFile(join(credentials, 'sf-password'), 'sf-Pa55-from-a-credential\n');
  await writeFile(join(credentials, 'imap-password'), 'imap-Pa55-from-a-credential\n');
  await writeFile(join(home, 'config.json'), text);
  const env = { PATH: process.env.PATH ?? '', HOME: home, CREDENTIALS_DIRECTORY: credentials, SFTOKEN_CONFIG: join(home, 'config.json') };
  const r = await run(process.execPath, [join(REPO, 'dist', 'bin', 'cli.js'), 'check'], env);
  // The mailbox of the example does not exist: check says so, and says everything else is fine.
  assert.notEqual(r.code, 2, `a configuration error: ${r.stderr}`);
  assert.match(r.stdout, /^ok +state: /m);
  assert.match(r.stdout, new RegExp(`^ok +destination file:${home}/tokens.json\\?mode=0640: `, 'm'));
  assert.match(r.stdout, /^FAIL +mailbox /m);
  assert.doesNotMatch(r.stdout + r.stderr, /Pa55-from-a-credential/);
});
