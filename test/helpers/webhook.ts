import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onCleanup } from './cleanup.js';

/** A webhook receiver on loopback: keeps every JSON body; answers 503 to the first `failFirst`. */
export async function receiver(failFirst = 0) {
  const received: Array<{ path: string; body: Record<string, unknown> }> = [];
  let refusals = failFirst;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      if (refusals-- > 0) return void res.writeHead(503).end();
      received.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }; // a TCP server's address is an AddressInfo
}
