import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The environment that runs a child process on a driven clock: libfaketime (Debian's `faketime`),
 * preloaded directly, the clock starting at `at` and running from there. The `faketime` wrapper
 * itself is not used: its named semaphore collides when tests start it in parallel.
 */
export function fakeTimeEnv(at: string): Record<string, string> {
  return { LD_PRELOAD: libfaketime(), FAKETIME: `@${at}` };
}

/** A clock `seconds` ahead of (or, negative, behind) the real one, running at the real pace. */
export function skewedClockEnv(seconds: number): Record<string, string> {
  return { LD_PRELOAD: libfaketime(), FAKETIME: `${seconds >= 0 ? '+' : ''}${seconds}` };
}

/**
 * A clock `speed` times as fast as the real one, from this process's now (which is itself moved
 * when the suite runs under faketime): minutes of a schedule pass in seconds.
 */
export function fastClockEnv(speed: number): Record<string, string> {
  const offset = /^[+-]\d+[smhdy]?$/.exec(process.env.FAKETIME ?? '')?.[0] ?? '+0';
  return { LD_PRELOAD: libfaketime(), FAKETIME: `${offset} x${speed}` };
}

function libfaketime(): string {
  const lib = readdirSync('/usr/lib')
    .map((d) => join('/usr/lib', d, 'faketime', 'libfaketime.so.1'))
    .find((p) => existsSync(p));
  if (!lib) throw new Error('libfaketime is not installed (Debian package faketime)');
  return lib;
}
