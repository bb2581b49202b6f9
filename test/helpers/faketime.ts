import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The environment that runs a child process on a driven clock: libfaketime (Debian's `faketime`),
 * preloaded directly, the clock starting at `at` and running from there. The `faketime` wrapper
 * itself is not used: its named semaphore collides when tests start it in parallel.
 */
export function fakeTimeEnv(at: string): Record<string, string> {
  const lib = readdirSync('/usr/lib')
    .map((d) => join('/usr/lib', d, 'faketime', 'libfaketime.so.1'))
    .find((p) => existsSync(p));
  if (!lib) throw new Error('libfaketime is not installed (Debian package faketime)');
  return { LD_PRELOAD: lib, FAKETIME: `@${at}` };
}
