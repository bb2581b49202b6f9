import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { onCleanup } from './cleanup.js';
import { imapDate, minutesAgo, rfc5322 } from './dates.js';

/** A message the scripted server holds: its bytes, and the size it claims for them. */
export interface HostileMessage {
  source: Buffer;
  /** RFC822.SIZE as the server reports it; a liar's number. */
  reportedSize?: number;
  subject?: string;
  from?: string;
}

/** How the server answers a command: the normal answer, or a misbehaviour. */
export type Misbehaviour =
  /** Sends "* OK still working" every 300 ms and never completes the command. */
  | 'keep-alive-forever'
  /** Starts the FETCH literal and drops the connection halfway through. */
  | 'drop-halfway'
  /** Announces a literal of `hugeLiteralBytes` and streams zeros until the client hangs up. */
  | 'huge-literal'
  /** Sends one line that never ends, until the client hangs up. */
  | 'endless-line'
  /** Answers with bytes that are not IMAP. */
  | 'garbage';

export interface HostileScript {
  messages: HostileMessage[];
  select?: Misbehaviour;
  search?: Misbehaviour;
  fetchSource?: Misbehaviour;
  hugeLiteralBytes?: number;
}

const CHUNK = Buffer.alloc(64 * 1024, 'a');
const ZEROS = Buffer.alloc(64 * 1024, 0);

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A small IMAP server on 127.0.0.1 that plays a script: it answers as a mailbox holding the
 * given messages does, except for the commands the script tells it to misbehave on. It counts
 * connections and bytes sent, so a test can tell how often and how hard the client came back.
 */
export class HostileImap {
  connections = 0;
  bytesSent = 0;
  readonly commands: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly script: HostileScript,
  ) {}

  static async start(script: HostileScript): Promise<HostileImap> {
    let self: HostileImap | null = null;
    const server = createServer((socket) => self?.serve(socket));
    self = new HostileImap(server, script);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const started = self;
    onCleanup(() => started.close());
    return started;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port; // a TCP server's address is an AddressInfo
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    const timers = new Set<NodeJS.Timeout>();
    let open = true;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      open = false;
      this.sockets.delete(socket);
      timers.forEach((t) => clearInterval(t));
    });
    const send = (data: string | Buffer): boolean => {
      if (!open) return false;
      this.bytesSent += data.length;
      return socket.write(data);
    };
    // Streams `chunk` for ever, respecting backpressure, until the client hangs up.
    const flood = (chunk: Buffer): void => {
      const pump = (): void => {
        while (open && send(chunk));
        if (open) socket.once('drain', pump);
      };
      pump();
    };
    const misbehave = (how: Misbehaviour, tag: string, literal: Buffer): void => {
      switch (how) {
        case 'keep-alive-forever': {
          const t = setInterval(() => send('* OK still working\r\n'), 300);
          timers.add(t);
          return;
        }
        case 'drop-halfway':
          send(`* 1 FETCH (UID 1 BODY[] {${literal.length}}\r\n`);
          send(literal.subarray(0, literal.length >> 1));
          setTimeout(() => socket.destroy(), 50);
          return;
        case 'huge-literal':
          send(`* 1 FETCH (UID 1 BODY[] {${this.script.hugeLiteralBytes ?? 400_000_000}}\r\n`);
          flood(ZEROS);
          return;
        case 'endless-line':
          send('* OK ');
          flood(CHUNK);
          return;
        case 'garbage':
          send(`\u0000\u00ff${tag} ??? {{{\r\n)))((( * * *\r\n`);
          return;
      }
    };
    const uids = this.script.messages.map((_m, i) => i + 1);
    // An hour ago, as a real server would say of mail that just came in: within any look-back.
    const received = minutesAgo(60);
    const envelope = (m: HostileMessage): string =>
      `(${quote(rfc5322(received))} ${quote(m.subject ?? 'Your new Salesforce security token')} ((NIL NIL ${quote((m.from ?? 'support@salesforce.com').split('@')[0] ?? '')} ${quote((m.from ?? 'support@salesforce.com').split('@')[1] ?? '')})) NIL NIL NIL NIL NIL NIL NIL)`;
    const onCommand = (line: string): void => {
      const [tag = '*', ...rest] = line.split(' ');
      const words = rest.map((w) => w.toUpperCase());
      const name = words[0] === 'UID' ? `UID ${words[1]}` : (words[0] ?? '');
      this.commands.push(name);
      const ok = (what: string): void => void send(`${tag} OK ${what} completed\r\n`);
      switch (name) {
        case 'CAPABILITY':
          send('* CAPABILITY IMAP4rev1 IDLE UIDPLUS\r\n');
          return ok('CAPABILITY');
        case 'LOGIN':
          return ok('LOGIN');
        case 'SELECT':
        case 'EXAMINE':
          if (this.script.select) return misbehave(this.script.select, tag, Buffer.alloc(0));
          send(
            `* ${uids.length} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 77] UIDs valid\r\n* OK [UIDNEXT ${uids.length + 1}] next\r\n* FLAGS (\\Seen \\Deleted)\r\n* OK [PERMANENTFLAGS (\\Seen \\Deleted \\*)] ok\r\n`,
          );
          return void send(`${tag} OK [READ-WRITE] SELECT completed\r\n`);
        case 'UID SEARCH':
        case 'SEARCH':
          if (this.script.search) return misbehave(this.script.search, tag, Buffer.alloc(0));
          send(`* SEARCH ${uids.join(' ')}\r\n`);
          return ok('SEARCH');
        case 'UID FETCH': {
          const wantsSource = /BODY\.PEEK\[\]|BODY\[\]|RFC822\b(?!\.)/i.test(line);
          const set = rest[2] ?? '';
          const picked = uids.filter((u) => set === `${u}` || set.includes(':') || set.split(',').includes(`${u}`));
          if (wantsSource) {
            const uid = picked[0] ?? 1;
            const m = this.script.messages[uid - 1];
            if (!m) return ok('FETCH');
            if (this.script.fetchSource) return misbehave(this.script.fetchSource, tag, m.source);
            send(`* ${uid} FETCH (UID ${uid} BODY[] {${m.source.length}}\r\n`);
            send(m.source);
            send(')\r\n');
            return ok('FETCH');
          }
          for (const uid of picked) {
            const m = this.script.messages[uid - 1];
            if (m) send(`* ${uid} FETCH (UID ${uid} RFC822.SIZE ${m.reportedSize ?? m.source.length} INTERNALDATE "${imapDate(received)}" ENVELOPE ${envelope(m)})\r\n`);
          }
          return ok('FETCH');
        }
        case 'IDLE':
          return void send('+ idling\r\n');
        case 'LOGOUT':
          send('* BYE bye\r\n');
          ok('LOGOUT');
          return void socket.end();
        default:
          return ok(name || 'NOOP');
      }
    };
    let buffer = '';
    let idleTag: string | null = null;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        if (idleTag !== null && line.toUpperCase() === 'DONE') {
          send(`${idleTag} OK IDLE terminated\r\n`);
          idleTag = null;
          continue;
        }
        if (/^\S+ IDLE$/i.test(line)) idleTag = line.split(' ')[0] ?? null;
        onCommand(line);
      }
    });
    send('* OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] hostile ready\r\n');
  }
}
