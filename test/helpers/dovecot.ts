import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.js';
import { ImapFlow } from 'imapflow';

// Dovecot refuses to keep mail as uid 0; nobody/nogroup exist on every Debian machine.
const MAIL_UID = 65534;
const MAIL_GID = 65534;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs a command that may leave a daemon behind: the daemon inherits its descriptors, so the
 * wait is for the command's exit, and its complaints go to a file rather than a pipe.
 */
function exec(command: string, args: string[], errFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(errFile, 'a');
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', fd] });
    closeSync(fd);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${readFileSync(errFile, 'utf8').slice(-500)}`))));
  });
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SessionBytes {
  user: string;
  in: number;
  out: number;
  bodyCount: number;
  bodyBytes: number;
}

/**
 * Dovecot clears its children's environment, so a suite run under faketime (to prove it passes
 * on any date) would leave the server on the real clock: INTERNALDATE and SEARCH SINCE would then
 * disagree with the tool's. The faked clock is passed on when there is one.
 */
function fakedClock(): string {
  if (!process.env.FAKETIME || !process.env.LD_PRELOAD) return '';
  return 'import_environment = TZ CORE_OUTOFMEM CORE_ERROR LISTEN_PID LISTEN_FDS NOTIFY_SOCKET LD_PRELOAD FAKETIME';
}

/**
 * A private Dovecot (Debian's dovecot-imapd) started for one test file: its own config, state,
 * log and maildirs in a temp dir, plaintext IMAP on a free loopback port. Runs as root, as CI does.
 */
export class Dovecot {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get conf(): string {
    return join(this.dir, 'dovecot.conf');
  }

  static async start(users: Record<string, string>, extraConfig = ''): Promise<Dovecot> {
    const dir = await mkdtemp(join(tmpdir(), 'sftoken-dovecot-'));
    // Dovecot's auth process runs as the dovecot user and must read the passwd file.
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'mail'));
    await chown(join(dir, 'mail'), MAIL_UID, MAIL_GID);
    await writeFile(
      join(dir, 'passwd'),
      Object.entries(users)
        .map(([u, p]) => `${u}:{PLAIN}${p}\n`)
        .join(''),
      { mode: 0o644 },
    );
    const port = await freePort();
    await writeFile(
      join(dir, 'dovecot.conf'),
      `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
shutdown_clients = yes
mail_location = maildir:${dir}/mail/%u
first_valid_uid = 1
${fakedClock()}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_GID} home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
${extraConfig}
`,
    );
    const dovecot = new Dovecot(dir, port);
    await dovecot.up();
    onCleanup(async () => {
      await dovecot.down().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    });
    return dovecot;
  }

  async up(): Promise<void> {
    await exec('dovecot', ['-c', this.conf], join(this.dir, 'dovecot.stderr'));
    await until(() => portOpen(this.port), 'Dovecot to listen');
  }

  /**
   * Stops the server as a restart or crash would: the master and every process it started,
   * including imap processes that hold client connections (a plain stop leaves those serving).
   */
  async down(): Promise<void> {
    const master = Number(readFileSync(join(this.dir, 'run', 'master.pid'), 'utf8').trim());
    const children = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === master;
        } catch {
          return false;
        }
      })
      .map(Number);
    await exec('dovecot', ['-c', this.conf, 'stop'], join(this.dir, 'dovecot.stderr'));
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await until(async () => !(await portOpen(this.port)), 'Dovecot to stop');
  }

  /** A second connection, as a mail server delivering would be. */
  async client(user: string, pass: string): Promise<ImapFlow> {
    const c = new ImapFlow({ host: '127.0.0.1', port: this.port, secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  }

  async append(user: string, pass: string, messages: ReadonlyArray<string | Buffer>, mailbox = 'INBOX'): Promise<void> {
    const c = await this.client(user, pass);
    try {
      for (const m of messages) await c.append(mailbox, m);
    } finally {
      await c.logout();
    }
  }

  /** Per logged-out session, what Dovecot says it received and sent: `in=`, `out=`, bodies fetched. */
  async sessions(user: string): Promise<SessionBytes[]> {
    const log = await readFile(join(this.dir, 'dovecot.log'), 'utf8');
    const out: SessionBytes[] = [];
    for (const m of log.matchAll(/imap\(([^)]+)\).*Disconnected:.*?in=(\d+) out=(\d+).*?body_count=(\d+) body_bytes=(\d+)/g)) {
      if (m[1] === user) out.push({ user, in: Number(m[2]), out: Number(m[3]), bodyCount: Number(m[4]), bodyBytes: Number(m[5]) });
    }
    return out;
  }
}
