import type { Command } from '../app/command.js';
import { IMAP_SECRETS, LOGIN_SECRETS } from '../config/index.js';
import { UsageError } from '../util/errors.js';

/** `sftoken ingest --since <when>`: one search of the mailbox, one batch, then exit. */
export const ingest: Command = {
  usage: 'ingest',
  describe: 'search the mailbox once (--since), process what it finds, exit',
  groups: ['common', 'login', 'mailbox', 'notify'],
  secrets: [...LOGIN_SECRETS, ...IMAP_SECRETS],
  examples: [['SFTOKEN_IMAP_PASSWORD=… $0 ingest --since 7d --imap-host imap.acme.com --imap-user int@acme.com', 'recover after downtime']],
  async run(config, io) {
    const [mailbox, ...others] = config.mailboxes;
    if (!mailbox) throw new UsageError('--imap-host is required (or SFTOKEN_IMAP_HOST)');
    if (others.length) throw new UsageError('ingest reads one mailbox');
    if (!mailbox.since) throw new UsageError('ingest needs --since: an ISO date, or a span such as 36h or 7d');
    const [{ buildContext }, { ingestMailbox }] = await Promise.all([import('../app/context.js'), import('../app/ingest.js')]);
    return ingestMailbox(await buildContext(config, io), mailbox, mailbox.since);
  },
};
