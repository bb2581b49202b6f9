import type { Command } from '../app/command.js';
import { LOGIN_SECRETS } from '../config/index.js';

/** `sftoken replay <path..>`: saved .eml files as one batch. */
export const replay: Command = {
  command: 'replay <path..>',
  describe: 'process saved mail as one batch: .eml files, mbox files, Maildir folders, directories of them',
  groups: ['common', 'login', 'held', 'notify'],
  positional: { name: 'path', describe: '.eml or mbox files, Maildir folders (cur/, new/), or directories searched for *.eml, *.mbox and Maildir messages' },
  secrets: LOGIN_SECRETS,
  examples: [
    ['$0 replay fixtures --dry-run --trust sender', 'show what would be stored, touching nothing'],
    ['SFTOKEN_SF_USERNAME=int@acme.com SFTOKEN_SF_PASSWORD=… $0 replay reset.eml', 'test the token with one login, then store it in the keychain'],
    ['$0 replay mail/ --no-verify --store file:/run/secrets/sf.json', 'store without a test login, into a file'],
  ],
  async handler(config, io, paths) {
    const { replayFiles } = await import('../app/replay.js');
    return replayFiles(config, io, paths);
  },
};
