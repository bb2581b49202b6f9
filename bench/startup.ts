import { CLI } from '../test/helpers/paths.js';
import { medians, report } from './measure.js';

// Target (issue #2): `sftoken --help` takes at most 3x a bare `node -e 0` start. Heavy modules
// (mailparser, jsforce, imapflow, keytar) must stay out of the start-up path for that.
const RUNS = 21;
const LIMIT = 3;

const [node, help] = medians(
  [
    { command: process.execPath, args: ['-e', '0'] },
    { command: process.execPath, args: [CLI, '--help'] },
  ],
  RUNS,
) as [number, number];
report('sftoken --help vs node -e 0', { node_ms: node, help_ms: help, ratio: help / node, limit: LIMIT }, help / node <= LIMIT);
