import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Command {
  command: string;
  args: readonly string[];
  cwd?: string;
}

function once(c: Command): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(c.command, c.args, { cwd: c.cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${c.command} ${c.args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/**
 * Median wall time of each command, in milliseconds. Runs alternate between the commands after
 * a warm-up, so that a busy moment of a shared machine weighs on both sides alike.
 */
export function medians(commands: readonly Command[], runs: number, warmup = 2): number[] {
  for (let i = 0; i < warmup; i++) commands.forEach(once);
  const times = commands.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) commands.forEach((c, k) => times[k]?.push(once(c)));
  return times.map(median);
}

export function report(name: string, figures: Record<string, string | number>, ok: boolean): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${typeof v === 'number' ? v.toFixed(2) : v}`);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${parts.join(' ')}`);
  if (!ok) process.exitCode = 1;
}

/** A process's resident memory now, in MiB, from the kernel. */
export function rssMiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

/** CPU seconds a process has used, user and system: fields 14 and 15 of /proc/<pid>/stat, in ticks of 1/100 s. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
