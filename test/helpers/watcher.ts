import { spawn, type ChildProcess } from 'node:child_process';
import { onCleanup } from './cleanup.js';
import { CLI, REPO } from './paths.js';

/**
 * `sftoken watch` as a long-lived child process: its NDJSON records and JSON log lines are
 * collected as they come, and a test can wait for one that matches.
 */
export class Watcher {
  readonly records: Array<Record<string, unknown>> = [];
  readonly logs: Array<Record<string, unknown>> = [];
  stderr = '';
  stdout = '';
  private readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  private constructor(readonly child: ChildProcess) {
    const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
      let buffer = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          onLine(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
      });
    };
    lines(child.stdout as NodeJS.ReadableStream, (l) => {
      this.stdout += l + '\n';
      this.records.push(JSON.parse(l) as Record<string, unknown>);
      this.notify();
    });
    lines(child.stderr as NodeJS.ReadableStream, (l) => {
      this.stderr += l + '\n';
      try {
        this.logs.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        this.logs.push({ msg: l });
      }
      this.notify();
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => (this.notify(), resolve(code))));
  }

  static start(args: readonly string[], env: NodeJS.ProcessEnv): Watcher {
    const child = spawn(process.execPath, [CLI, 'watch', '--json', ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const w = new Watcher(child);
    onCleanup(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    return w;
  }

  private notify(): void {
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((w) => w());
  }

  /** Resolves with the first item that matches, failing after `timeoutMs`. */
  async waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- stderr ---\n${this.stderr.slice(-3000)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  record(match: (r: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.waitFor(() => this.records.find(match), what, timeoutMs);
  }

  log(msg: string, timeoutMs?: number, from = 0): Promise<Record<string, unknown>> {
    return this.waitFor(() => this.logs.slice(from).find((l) => l.msg === msg), `log "${msg}"`, timeoutMs);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    this.child.kill(signal);
    const code = await this.exited;
    return { code, ms: Date.now() - started };
  }
}
