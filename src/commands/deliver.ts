import type { Command } from '../app/command.js';
import { LOGIN_SECRETS } from '../config/index.js';

/** `sftoken deliver`: one message on standard input, from a mail server. */
export const deliver: Command = {
  command: 'deliver',
  describe: 'take one message on stdin from a mail server (Postfix pipe, procmail, Sieve); exit 0, or 75 to retry later',
  groups: ['common', 'login', 'held', 'notify'],
  // sysexits has 78 for a configuration error, but Postfix and procmail bounce on it, and a bounced
  // token email is a lost token: a configuration error is 75, so the message waits in the queue
  // while the admin reads the one-line error in the mail log. A bug is 75 too.
  exitCodes: { usage: 64, config: 75, internal: 75 },
  exitCodesHelp:
    'Exit codes (sysexits, for the mail server): 0 handled, whatever the outcome, so the server never bounces a token email; 75 failed for now, or a configuration error: the server keeps the message and retries; 64 bad command line.',
  secrets: LOGIN_SECRETS,
  examples: [['$0 deliver --trust dkim --store dotenv:/srv/etl/.env?var=SF_TOKEN', 'as a procmail recipe: :0 w / | sftoken deliver …']],
  async handler(config, io) {
    const { deliverOne } = await import('../app/deliver.js');
    return deliverOne(config, io, io.stdin);
  },
};
