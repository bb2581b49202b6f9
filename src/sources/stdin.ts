import type { RawMessage } from '../pipeline/types.js';

/**
 * The one message a mail server hands over on standard input. At most `maxBytes` + 1 are kept,
 * so an oversize message is known as such without holding it all; the rest is read and dropped
 * (a mail server that cannot write its message treats that as a failure).
 */
export async function stdinMessage(input: NodeJS.ReadableStream, maxBytes: number): Promise<RawMessage> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  for await (const chunk of input) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += bytes.length;
    if (kept <= maxBytes) {
      chunks.push(bytes.subarray(0, maxBytes + 1 - kept));
      kept += Math.min(bytes.length, maxBytes + 1 - kept);
    }
  }
  const raw = Buffer.concat(chunks);
  return { source: 'stdin', receivedAt: new Date(), sequence: 0, size: total, load: async () => raw };
}
