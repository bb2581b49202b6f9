import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The environment that runs a child process on a driven clock: libfaketime (Debian's `faketime`),
 * preloaded directly, the clock starting at `at` and running from there. The `faketime` wrapper
 * itself is not used: its named semaphore collides when tests start it in parallel.
 */
export function fakeTimeEnv(at: string): NodeJS.ProcessEnv {
  return { ...ownClock(), FAKETIME: `@${at}` };
}

/** A clock `seconds` ahead of (or, negative, behind) the real one, running at the real pace. */
export function skewedClockEnv(seconds: number): NodeJS.ProcessEnv {
  return { ...ownClock(), FAKETIME: `${seconds >= 0 ? '+' : ''}${seconds}` };
}

/**
 * A clock `speed` times as fast as the real one, from this process's now (which is itself moved
 * when the suite runs under faketime): minutes of a schedule pass in seconds.
 */
export function fastClockEnv(speed: number): NodeJS.ProcessEnv {
  const offset = /^[+-]\d+[smhdy]?$/.exec(process.env.FAKETIME ?? '')?.[0] ?? '+0';
  return { ...ownClock(), FAKETIME: `${offset} x${speed}` };
}

/**
 * libfaketime for a child, on a clock of its own: a suite run under the `faketime` wrapper shares
 * one clock among its processes (FAKETIME_SHARED), which would start the child's from the
 * wrapper's start instead of its own. Node leaves an undefined variable out of the environment.
 */
function ownClock(): NodeJS.ProcessEnv {
  return { LD_PRELOAD: libfaketime(), FAKETIME_SHARED: undefined };
}

function libfaketime(): string {
  const lib = readdirSync('/usr/lib')
    .map((d) => join('/usr/lib', d, 'faketime', 'libfaketime.so.1'))
    .find((p) => existsSync(p));
  if (!lib) throw new Error('libfaketime is not installed (Debian package faketime)');
  return lib;
}
