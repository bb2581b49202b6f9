import type { Config } from '../config/index.js';
import { meaning } from '../pipeline/outcomes.js';
import { stdinMessage } from '../sources/stdin.js';
import { runBatch } from './batch.js';
import { buildContext } from './context.js';
import type { Io } from './io.js';

/**
 * One message from a mail server (Postfix pipe or mailbox_command, procmail, a Sieve pipe). Every
 * final outcome is 0, refusals included: the mail server must not bounce a token email back to
 * Salesforce, and a refused one is reported in the log. A failure that a retry may cure is 75,
 * so the server keeps the message and delivers it again later.
 */
export async function deliverOne(config: Config, io: Io, input: NodeJS.ReadableStream): Promise<number> {
  const ctx = await buildContext(config, io);
  const message = await stdinMessage(input, config.maxMessageBytes);
  const [handled] = await runBatch(ctx, [message]);
  await ctx.notifier?.flush();
  return handled ? meaning(handled.record.outcome, handled.record.reason).deliver : 0;
}
