import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, type CliResult } from './cli.js';

// A keyring session that takes longer than this is stuck, not slow.
const SESSION_TIMEOUT_MS = 60_000;

/**
 * Ends the daemons of one test's private session (gnome-keyring started by D-Bus activation
 * can outlive its bus). They are found by their environment, so nothing else is touched.
 */
function endDaemonsOf(runtimeDir: string): void {
  const marker = `XDG_RUNTIME_DIR=${runtimeDir}\0`;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker)) process.kill(Number(pid), 'SIGTERM');
    } catch {
      // Gone already, or not ours to read.
    }
  }
}

/**
 * Runs a shell script inside a private D-Bus session with a fresh, unlocked gnome-keyring whose
 * files live under `home`: the real keytar and secret-tool talk to it, and no real keyring is
 * ever touched. The unlock password is the keyring's, a test value, never a token. Output goes
 * through files, since daemons of the session inherit its descriptors and may hold a pipe open.
 */
export async function inKeyringSession(home: string, script: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const env = isolatedEnv(home, extraEnv);
  const runtimeDir = env.XDG_RUNTIME_DIR as string;
  await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
  await mkdir(join(home, 'data'), { recursive: true });
  const outPath = join(home, 'session.out');
  const errPath = join(home, 'session.err');
  const out = openSync(outPath, 'w');
  const err = openSync(errPath, 'w');
  const boot = 'printf %s test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || exit 97';
  try {
    const child = spawn('dbus-run-session', ['--', 'sh', '-c', `${boot}\n${script}`], { env, stdio: ['ignore', out, err] });
    const timer = setTimeout(() => child.kill('SIGKILL'), SESSION_TIMEOUT_MS);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    return { code, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8') };
  } finally {
    closeSync(out);
    closeSync(err);
    endDaemonsOf(runtimeDir);
  }
}
