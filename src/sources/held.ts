import { readdirSync, statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

// The held folder: a Maildir where `deliver` keeps every token email it refused for good, so
// that none disappears behind a mail server that took exit 0 as delivered. A person reads it with
// any mail client; `replay <held>` gives each one its one more try after a fix.

export interface HeldFile {
  name: string;
  path: string;
  /**
   * When it was held: the time deliver wrote into its Maildir name (milliseconds first), by the
   * same clock that judges its age; the file's mtime only for a name without one. A file
   * system's clock (NFS) need not agree with this process's.
   */
  heldAt: Date;
}

/** The messages in the held Maildir (new/ and cur/); none when it does not exist yet. */
export function heldFiles(dir: string): HeldFile[] {
  const out: HeldFile[] = [];
  for (const sub of ['new', 'cur']) {
    let names: string[];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(dir, sub, name);
      try {
        const stamp = /^(\d+)\./.exec(name)?.[1];
        out.push({ name: name.split(':')[0] ?? name, path, heldAt: stamp ? new Date(Number(stamp)) : statSync(path).mtime });
      } catch {
        // Taken away meanwhile (replayed, pruned): not held any more.
      }
    }
  }
  return out.sort((a, b) => a.heldAt.getTime() - b.heldAt.getTime());
}

/** The name a held message is known by when `path` lies in the held Maildir; null otherwise. */
export function heldName(dir: string, path: string): string | null {
  const folder = dirname(resolve(path));
  if (folder !== resolve(dir, 'new') && folder !== resolve(dir, 'cur')) return null;
  return basename(path).split(':')[0] ?? null;
}

/** Removes held messages older than `maxAgeMs`; returns what it removed. */
export async function prune(dir: string, maxAgeMs: number, now: Date = new Date()): Promise<HeldFile[]> {
  const old = heldFiles(dir).filter((f) => now.getTime() - f.heldAt.getTime() > maxAgeMs);
  for (const f of old) await unlink(f.path).catch(() => undefined);
  return old;
}
