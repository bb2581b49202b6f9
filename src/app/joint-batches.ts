import type { BatchHandler, BatchSlot, Handled, JoinBatch, RawMessage } from '../pipeline/types.js';

interface Waiting {
  messages: readonly RawMessage[];
  resolve(handled: Handled[]): void;
  reject(err: unknown): void;
}

/**
 * Batches shared by several sources (mailboxes), one running at a time. A batch starts once no
 * source that took a slot is still searching, or `graceMs` after the first one handed over its
 * messages, so that a server that is slow to answer holds up the others for that long at most.
 * Each source gets back what became of its own messages.
 */
export function jointBatches(run: BatchHandler, graceMs: number): JoinBatch {
  const open = new Set<symbol>();
  let waiting: Waiting[] = [];
  let running = false;
  let graceOver = false;
  let timer: NodeJS.Timeout | undefined;

  const start = (): void => {
    clearTimeout(timer);
    timer = undefined;
    graceOver = false;
    const batch = waiting;
    waiting = [];
    running = true;
    run(batch.flatMap((w) => w.messages))
      .then(
        (handled) => {
          for (const w of batch) {
            const mine = new Set(w.messages);
            w.resolve(handled.filter((h) => mine.has(h.message)));
          }
        },
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        running = false;
        kick();
      });
  };

  const kick = (): void => {
    if (running || waiting.length === 0) return;
    if (open.size === 0 || graceOver) return start();
    // An infinite grace waits for every source (ingest); setTimeout would read it as 1 ms.
    if (!Number.isFinite(graceMs)) return;
    timer ??= setTimeout(() => {
      timer = undefined;
      graceOver = true;
      kick();
    }, graceMs);
  };

  return (): BatchSlot => {
    const slot = Symbol('slot');
    open.add(slot);
    const leave = (): void => {
      if (open.delete(slot)) kick();
    };
    return {
      handle: (messages) => {
        if (!open.has(slot)) return Promise.reject(new Error('a batch slot was used twice'));
        open.delete(slot);
        const handled = new Promise<Handled[]>((resolve, reject) => waiting.push({ messages, resolve, reject }));
        kick();
        return handled;
      },
      leave,
    };
  };
}
