import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isolatedEnv, run, type CliResult } from './cli.js';

/**
 * Runs a shell script inside a private D-Bus session with a fresh, unlocked gnome-keyring whose
 * files live under `home`: the real keytar and secret-tool talk to it, and no real keyring is
 * ever touched. The unlock password is the keyring's, a test value, never a token.
 */
export async function inKeyringSession(home: string, script: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const env = isolatedEnv(home, extraEnv);
  await mkdir(env.XDG_RUNTIME_DIR as string, { recursive: true, mode: 0o700 });
  await mkdir(join(home, 'data'), { recursive: true });
  const boot = 'printf %s test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || exit 97';
  return run('dbus-run-session', ['--', 'sh', '-c', `${boot}\n${script}`], env);
}
