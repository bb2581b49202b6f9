import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, FIXTURES, REPO } from '../test/helpers/paths.js';
import { medians, report } from './measure.js';

// Target (issues #2, #12): replay --dry-run --json over 2,000 copies of a multipart,
// quoted-printable token email takes at most 1.5x a bare mailparser simpleParser loop over the
// same files, both as fresh processes. Like with like: the baseline reads each file as cheaply
// as it can (readFileSync), and the tool runs at its default log level, as a user runs it.
const COPIES = 2000;
const RUNS = 5;
const LIMIT = 1.5;

const dir = await mkdtemp(join(tmpdir(), 'sftoken-bench-'));
try {
  const mail = join(dir, 'mail');
  await mkdir(mail);
  for (let i = 0; i < COPIES; i++) await copyFile(join(FIXTURES, '30-portuguese-outlook-mailto.eml'), join(mail, `${String(i).padStart(5, '0')}.eml`));
  const bare = join(REPO, 'dist', 'bench', 'bare-parse.mjs');
  await writeFile(
    bare,
    `import { simpleParser } from 'mailparser';\nimport { readdirSync, readFileSync } from 'node:fs';\nimport { join } from 'node:path';\n` +
      `const dir = process.argv[2];\nlet n = 0;\nfor (const f of readdirSync(dir).sort()) { const m = await simpleParser(readFileSync(join(dir, f))); if (m.subject) n++; }\n` +
      `process.stdout.write(String(n));\n`,
  );
  const env = ['--state', join(dir, 'state.json')];
  const [baseline, ours] = medians(
    [
      { command: process.execPath, args: [bare, mail], cwd: REPO },
      { command: process.execPath, args: [CLI, 'replay', mail, '--dry-run', '--json', '--trust', 'sender', ...env], cwd: REPO },
    ],
    RUNS,
    1,
  ) as [number, number];
  report(`replay ${COPIES} messages vs bare simpleParser loop`, { bare_ms: baseline, replay_ms: ours, ratio: ours / baseline, limit: LIMIT, per_message_ms: ours / COPIES }, ours / baseline <= LIMIT);
} finally {
  await rm(dir, { recursive: true, force: true });
}
