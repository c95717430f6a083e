/**
 * The benchmark's origin: a minimal HTTP/1.1 responder on `node:net`, run as its own process
 * (`node origin-server.js <listeners>`). Every listener answers every GET with the same small body and a
 * `X-Origin: o<n>` header naming the listener, so balancing and stickiness can be checked through a proxy.
 * It prints `{"ports":[...]}` once all listeners are up.
 *
 * Why not `node:http`: on this machine `node:http` serves ~18k req/s per core, below what nginx proxies on
 * one core, so the origin (not the proxy) would set the pace. This responder serves ~70k req/s per core.
 * It handles keep-alive, pipelining, `Connection: close` and HTTP/1.0; requests with a body get a 400.
 */
import { createServer, type Server, type Socket } from 'node:net';

const body = 'hello from the swarmgate bench origin\n';

function response(origin: string, close: boolean, status = '200 OK'): Buffer {
  const connection = close ? 'Connection: close\r\n' : '';
  return Buffer.from(
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nX-Origin: ${origin}\r\n${connection}\r\n${body}`,
    'latin1',
  );
}

function serve(origin: string): Server {
  const keepAlive = response(origin, false);
  const lastOne = response(origin, true);
  const badRequest = response(origin, true, '400 Bad Request');
  return createServer({ noDelay: true }, (socket: Socket) => {
    let pending = '';
    socket.setEncoding('latin1');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      pending += chunk;
      const out: Buffer[] = [];
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        if (/\r\n(content-length:\s*0*[1-9]|transfer-encoding:)/i.test(head)) {
          socket.end(Buffer.concat([...out, badRequest]));
          return;
        }
        if (wantsClose(head)) {
          socket.end(Buffer.concat([...out, lastOne]));
          return;
        }
        out.push(keepAlive);
      }
      if (out.length > 0) socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    });
  });
}

function wantsClose(head: string): boolean {
  const http10 = head.slice(0, head.indexOf('\r\n')).endsWith('HTTP/1.0');
  const connection = /\r\nconnection:([^\r\n]*)/i.exec(head)?.[1]?.toLowerCase() ?? '';
  return connection.includes('close') || (http10 && !connection.includes('keep-alive'));
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address === 'object' && address) resolve(address.port);
      else reject(new Error('origin: no address'));
    });
  });
}

const count = Number(process.argv[2] ?? 2);
const ports = await Promise.all(Array.from({ length: count }, (_, i) => listen(serve(`o${i + 1}`))));
process.stdout.write(`${JSON.stringify({ ports })}\n`);
