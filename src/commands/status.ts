import type { Command } from '../app/command.js';

/** `sftoken status`: what the state file knows, without touching the network. */
export const status: Command = {
  command: 'status',
  describe: 'what the state file knows: per user the current token, where and when it went, the last refusal; per mailbox the last contact',
  groups: ['report'],
  secrets: [],
  examples: [
    ['$0 status', 'a short table'],
    ['$0 status --json', 'one JSON object per user and per mailbox'],
  ],
  exitCodesHelp: 'Exit codes: 0 the state file was read; 2 it could not be (named in one line).',
  async handler(config, io) {
    const { showStatus } = await import('../app/status.js');
    return showStatus(config, io);
  },
};
