import type { Command } from '../app/command.js';
import { UsageError } from '../util/errors.js';
import { IMAP_SECRETS, LOGIN_SECRETS } from '../config/index.js';

/** `sftoken watch`: IDLE on the mailbox for ever, reconnecting and catching up as needed. */
export const watch: Command = {
  command: 'watch',
  describe: 'IDLE on the mailbox; catch up at start and after every reconnect',
  groups: ['common', 'login', 'mailbox', 'watch', 'held', 'notify'],
  secrets: [...LOGIN_SECRETS, ...IMAP_SECRETS],
  examples: [['$0 watch --imap-host imap.acme.com --imap-user int@acme.com --health-port 9464', 'run for ever, with /healthz and /metrics']],
  async handler(config, io) {
    if (config.mailboxes.length === 0 && config.issuedAccounts.length === 0)
      throw new UsageError('--imap-host is required (or SFTOKEN_IMAP_HOST), or accounts with "auth": "jwt" or "client-credentials" to keep fresh');
    const [{ buildContext }, { watchMailboxes }] = await Promise.all([import('../app/context.js'), import('../app/watch.js')]);
    // With no mailbox there is no token email to test: only access tokens to keep fresh.
    const issuingOnly = config.mailboxes.length === 0;
    return watchMailboxes(await buildContext({ ...config, verify: config.verify && !issuingOnly }, io, { unattended: true, issuing: issuingOnly }));
  },
};
