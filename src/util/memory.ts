import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A message over this size leaves buffers worth collecting at once.
const LARGE_MESSAGE_BYTES = 512 * 1024;

type Collector = (options: { type: 'minor' | 'major' }) => void;
let collector: Collector | null | undefined;

function getCollector(): Collector | null {
  if (collector !== undefined) return collector;
  // V8 frees a dead Buffer's memory only when it collects the small object that owns it, and it
  // lets some 64 MiB of such memory pile up before it does: a catch-up over large spam then
  // holds dozens of dead 2 MiB messages. Asking for a collection after each large one keeps
  // memory flat, for about a millisecond each.
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  collector = typeof gc === 'function' ? (options) => void Reflect.apply(gc, undefined, [options]) : null;
  return collector;
}

export function isLarge(bytes: number | null): boolean {
  return bytes !== null && bytes >= LARGE_MESSAGE_BYTES;
}

/** After a large message is done with: frees what it left behind now rather than later. */
export function afterMessage(bytes: number | null): void {
  if (isLarge(bytes)) getCollector()?.({ type: 'major' });
}
