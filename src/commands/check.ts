import type { Command } from '../app/command.js';
import { IMAP_SECRETS, LOGIN_SECRETS } from '../config/index.js';

/** `sftoken check`: the configuration end to end, changing nothing. */
export const check: Command = {
  command: 'check',
  describe: 'check the configuration end to end, changing nothing: destinations, state, login endpoint, DNS, mailbox; a test login only with --login',
  groups: ['common', 'login', 'mailbox', 'watch', 'notify', 'check'],
  secrets: [...LOGIN_SECRETS, ...IMAP_SECRETS],
  examples: [
    ['$0 check --config /etc/sftoken/config.json', 'before the first token email arrives'],
    ['$0 check --login', 'also prove the stored token logs in'],
  ],
  exitCodesHelp: 'Exit codes: 0 every check passed; 1 one failed (each says what to fix); 2 the configuration itself cannot be read.',
  async handler(config, io) {
    const { checkAll } = await import('../app/check.js');
    return checkAll(config, io, config.checkLogin);
  },
};
