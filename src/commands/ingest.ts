import type { Command } from '../app/command.js';
import { IMAP_SECRETS, LOGIN_SECRETS } from '../config/index.js';
import { UsageError } from '../util/errors.js';

/** `sftoken ingest --since <when>`: one search of the mailbox, one batch, then exit. */
export const ingest: Command = {
  command: 'ingest',
  describe: 'search every configured mailbox once (--since), process what it finds, exit',
  groups: ['common', 'login', 'mailbox', 'notify'],
  secrets: [...LOGIN_SECRETS, ...IMAP_SECRETS],
  examples: [['SFTOKEN_IMAP_PASSWORD=… $0 ingest --since 7d --imap-host imap.acme.com --imap-user int@acme.com', 'recover after downtime']],
  async handler(config, io) {
    if (config.mailboxes.length === 0) throw new UsageError('--imap-host is required (or SFTOKEN_IMAP_HOST), or list mailboxes in the config file');
    const undated = config.mailboxes.find((m) => !m.since);
    if (undated) throw new UsageError(`ingest needs --since (or "since" for mailbox ${undated.name}): an ISO date, or a span such as 36h or 7d`);
    const [{ buildContext }, { ingestMailboxes }] = await Promise.all([import('../app/context.js'), import('../app/ingest.js')]);
    return ingestMailboxes(await buildContext(config, io));
  },
};
