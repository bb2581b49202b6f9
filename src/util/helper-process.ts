import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { TransientError, describe } from './errors.js';
import type { Redactor } from './redact.js';

// What a helper may say on stderr before the rest is dropped: enough for any error message.
const MAX_STDERR_BYTES = 64 * 1024;
// What a helper may print on stdout: an access token is a few KiB.
const MAX_STDOUT_BYTES = 1024 * 1024;

/**
 * The environment a helper program gets: this process's, without sftoken's own settings
 * (SFTOKEN_*) and without any variable that holds a secret sftoken has read (a password given
 * by {"env": "NAME"}), so that `az`, `vault` or a hook script sees what it needs and no more.
 */
export function helperEnv(secrets: Redactor, extra: Record<string, string> = {}, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k.startsWith('SFTOKEN_') || secrets.has(v)) continue;
    out[k] = v;
  }
  return { ...out, ...extra };
}

interface HelperOptions {
  env: NodeJS.ProcessEnv;
  /** Killed past this. */
  timeoutMs: number;
  /** The run's stop. */
  signal: AbortSignal;
}

interface HelperResult {
  code: number | null;
  /** Killed for running past its time limit. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program without a shell, feeding `stdin` (a token, never an argument: argv is visible
 * to every user of the machine), with a time limit after which it is killed.
 */
function runHelper(program: string, args: readonly string[], options: HelperOptions & { stdin: string }): Promise<HelperResult> {
  return new Promise((resolve, reject) => {
    // The run's stop reaches the helper too: it is asked to end (SIGTERM), and the token is retried.
    const child = spawn(program, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_STDOUT_BYTES) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += d;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, stdout, stderr });
    });
    // A helper that exits without reading its input is its own business, not a crash of ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin);
  });
}

/** Finds a program as the shell would (a path, or a name looked up in PATH); null when absent. */
export async function findProgram(program: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const candidates = program.includes('/')
    ? [program]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; look further.
    }
  }
  return null;
}

/**
 * Hands a token to a helper program on stdin (never in argv) and says in one line why it failed:
 * could not start, ran past its time limit, or exited non-zero. Each is worth a retry.
 */
export async function deliverToHelper(description: string, program: string, args: readonly string[], token: string, options: HelperOptions): Promise<HelperResult> {
  const { timeoutMs } = options;
  let result: HelperResult;
  try {
    result = await runHelper(program, args, { ...options, stdin: `${token}\n` });
  } catch (err) {
    if (options.signal.aborted) throw new TransientError(`${description} was stopped: sftoken is stopping`);
    throw new TransientError(`${description} could not start: ${describe(err)}`);
  }
  if (result.timedOut) throw new TransientError(`${description} did not finish within ${timeoutMs / 1000} s`);
  if (result.code !== 0) throw new TransientError(`${description} failed (exit ${result.code ?? 'by a signal'})${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').pop()}` : ''}`);
  return result;
}
