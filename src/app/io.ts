/**
 * Where a run writes and what environment it reads: the process's own for the command, a
 * test's buffers and private environment when main() runs in-process.
 */
export interface Io {
  /** What `deliver` reads: the message a mail server hands over. */
  stdin: NodeJS.ReadableStream;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
  stdin: process.stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};
