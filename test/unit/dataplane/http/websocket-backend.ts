import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Encodes one final text frame (payload < 126 bytes); clients must mask, servers must not. */
export function textFrame(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text);
  const mask = masked ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0);
  const body = masked ? payload.map((b, i) => b ^ mask[i % 4]!) : payload;
  return Buffer.concat([Buffer.from([0x81, (masked ? 0x80 : 0) | payload.length]), mask, body]);
}

/** Decodes the text of one complete small frame, or undefined while incomplete. */
export function readTextFrame(data: Buffer): string | undefined {
  if (data.length < 2) return undefined;
  const masked = (data[1]! & 0x80) !== 0;
  const length = data[1]! & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (data.length < start + length) return undefined;
  const payload = data.subarray(start, start + length);
  if (!masked) return payload.toString();
  const mask = data.subarray(2, 6);
  return Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!)).toString();
}

/**
 * A WebSocket echo server on 127.0.0.1:0: answers upgrades with a 101 and echoes each text frame back
 * as `<name>:<text>`; `seen` collects the upgrade requests. Enough protocol for small test frames.
 * Its upgraded sockets are destroyed after the test (a server's `closeAllConnections` skips them).
 */
export async function startWebSocketEcho(
  t: { after: (fn: () => Promise<void>) => void },
  name: string,
  seen: IncomingMessage[] = [],
): Promise<Server & { port: number }> {
  const sockets = new Set<Duplex>();
  const server = createServer((_req, res) => res.end(name));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    seen.push(req);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const text = readTextFrame(pending);
      if (text === undefined) return;
      const opcode = pending[0]! & 0x0f;
      pending = Buffer.alloc(0);
      if (opcode === 0x8) socket.end(Buffer.from([0x88, 0]));
      else socket.write(textFrame(`${name}:${text}`, false));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}
