import { after } from 'node:test';

const pending: Array<() => unknown> = [];

/**
 * Registers teardown: with node:test's `after` inside the test runner, otherwise kept for the
 * caller (a benchmark script) to run with `runCleanups`, so helpers serve both without TAP noise.
 */
export function onCleanup(fn: () => unknown): void {
  if (process.env.NODE_TEST_CONTEXT) after(fn);
  else pending.push(fn);
}

export async function runCleanups(): Promise<void> {
  for (const fn of pending.splice(0).reverse()) await fn();
}
