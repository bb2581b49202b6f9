import type { Command } from '../app/command.js';
import { LOGIN_SECRETS } from '../config/index.js';

/** `sftoken deliver`: one message on standard input, from a mail server. */
export const deliver: Command = {
  command: 'deliver',
  describe: 'take one message on stdin from a mail server (Postfix pipe, procmail, Sieve); exit 0, or 75 to retry later',
  groups: ['common', 'login', 'held', 'notify'],
  // sysexits has 64 and 78 for a bad command line and a configuration error, but Postfix and
  // procmail bounce on them, and a bounced token email is a lost token: both are 75, so the
  // message waits in the queue (procmail delivers it to the mailbox) while the admin reads the
  // one-line error in the mail log. A bug is 75 too.
  exitCodes: { usage: 75, config: 75, internal: 75 },
  exitCodesHelp:
    'Exit codes (sysexits, for the mail server): 0 the token went where it should, the message is no token email, or a token email refused for good was kept in the held folder (--held); 75 anything else: a failure a retry may cure, a bad command line or configuration, or a message that could not be held. The server then keeps the message and retries; procmail delivers it to the mailbox.',
  secrets: LOGIN_SECRETS,
  examples: [['$0 deliver --trust dkim --store dotenv:/srv/etl/.env?var=SF_TOKEN', 'as a procmail recipe: :0 w / | sftoken deliver …']],
  async handler(config, io) {
    const { deliverOne } = await import('../app/deliver.js');
    return deliverOne(config, io, io.stdin);
  },
};
