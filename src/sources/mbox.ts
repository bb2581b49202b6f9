import { closeSync, openSync, readSync } from 'node:fs';
import type { RawMessage } from '../pipeline/types.js';

// Read in slices this size while looking for separators: memory stays flat however large the
// mbox (a Google Takeout export runs to gigabytes).
const SCAN_CHUNK_BYTES = 1 << 20;
const SEPARATOR = Buffer.from('\nFrom ');

/** Whether a file opens like an mbox: its first line is a `From ` separator line. */
export function looksLikeMbox(head: Buffer): boolean {
  // A byte-order mark in front (an export saved by an editor as UTF-8) changes nothing.
  const start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  return head.subarray(start, start + 5).toString('latin1') === 'From ';
}

/** Where each message of an mbox lies: from after its `From ` line to before the next one. */
function scan(path: string): Array<{ start: number; end: number }> {
  const fd = openSync(path, 'r');
  const separators: number[] = [0];
  try {
    const chunk = Buffer.alloc(SCAN_CHUNK_BYTES + SEPARATOR.length);
    let carry = 0;
    let position = 0;
    for (;;) {
      const read = readSync(fd, chunk, carry, SCAN_CHUNK_BYTES, position);
      if (read === 0) break;
      const view = chunk.subarray(0, carry + read);
      for (let at = view.indexOf(SEPARATOR); at !== -1; at = view.indexOf(SEPARATOR, at + 1)) separators.push(position - carry + at + 1);
      position += read;
      // Keep the tail, so a separator split between two slices is still found.
      carry = Math.min(SEPARATOR.length - 1, view.length);
      view.copy(chunk, 0, view.length - carry);
    }
    // The end of the file closes the last message, as a next separator would.
    separators.push(position + 1);
  } finally {
    closeSync(fd);
  }
  const unique = [...new Set(separators)].sort((a, b) => a - b);
  return unique.slice(0, -1).map((start, i) => ({ start, end: (unique[i + 1] ?? start) - 1 }));
}

function readRange(path: string, start: number, end: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const out = Buffer.alloc(Math.max(0, end - start));
    readSync(fd, out, 0, out.length, start);
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * The messages of an mbox file (mboxrd or mboxo), each read only when the pipeline asks: the
 * `From ` line is dropped, `>From ` lines lose one `>`, and the source is `<file>#<n>`.
 */
export function mboxMessages(path: string, receivedAt: Date | null, firstSequence: number): RawMessage[] {
  return scan(path).map(({ start, end }, i) => {
    const lineEnd = readRange(path, start, Math.min(end, start + 4096)).indexOf('\n');
    const bodyStart = lineEnd === -1 ? end : start + lineEnd + 1;
    return {
      source: `${path}#${i + 1}`,
      receivedAt,
      sequence: firstSequence + i,
      size: Math.max(0, end - bodyStart),
      load: async () =>
        Buffer.from(
          readRange(path, bodyStart, end)
            .toString('latin1')
            .replace(/^>(>*From )/gm, '$1'),
          'latin1',
        ),
    };
  });
}
