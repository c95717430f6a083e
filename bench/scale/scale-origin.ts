/**
 * The scale rows' origin (`node scale-origin.js <listeners>`), on `node:net`, one process:
 * - `GET /ws` with `Upgrade: websocket`: a WebSocket that echoes every message;
 * - `POST /upload` with a `Content-Length` body: counts the bytes, answers their number;
 * - `GET /download?bytes=N`: N bytes of body, written with backpressure;
 * - any other GET: a small 200 (keep-alive).
 * It prints `{"ports":[...]}` once all listeners are up, like the macro benchmark's origin.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { acceptKey, decodeFrames, encodeFrame } from './websocket-frames.js';

const small = 'hello from the swarmgate scale origin\n';
const chunk = Buffer.alloc(1 << 20, 'x');

function answer(socket: Socket, status: string, body: string): void {
  socket.write(
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
}

const header = (head: string, name: string) =>
  new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(head)?.[1]?.trim();

/** Writes `bytes` of body in 1 MiB chunks, waiting for `drain` whenever the socket's buffer is full. */
function stream(socket: Socket, bytes: number, done: () => void): void {
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!socket.write(piece)) {
        socket.once('drain', pump);
        return;
      }
    }
    done();
  };
  pump();
}

function serve(): Server {
  return createServer({ noDelay: true }, (socket) => {
    let pending: Buffer = Buffer.alloc(0);
    let uploadLeft = 0;
    let uploaded = 0;
    let websocket = false;
    let busy = false; // a download is being written: later requests wait in `pending`
    socket.on('error', () => socket.destroy());

    const onWebSocketBytes = () => {
      const { frames, rest } = decodeFrames(pending);
      pending = rest;
      for (const frame of frames) {
        if (frame.opcode === 0x8) {
          socket.end(encodeFrame(0x8, Buffer.alloc(0), false));
          return;
        }
        if (frame.opcode === 0x9) socket.write(encodeFrame(0xa, frame.payload, false));
        else if (frame.opcode === 0x1 || frame.opcode === 0x2)
          socket.write(encodeFrame(frame.opcode, frame.payload, false));
      }
    };

    const next = (): void => {
      while (!busy) {
        if (websocket) {
          onWebSocketBytes();
          return;
        }
        if (uploadLeft > 0) {
          const take = Math.min(uploadLeft, pending.length);
          uploadLeft -= take;
          uploaded += take;
          pending = pending.subarray(take);
          if (uploadLeft > 0) return;
          answer(socket, '200 OK', `${uploaded}\n`);
          continue;
        }
        const end = pending.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = pending.subarray(0, end).toString('latin1');
        pending = pending.subarray(end + 4);
        const [method, target] = head.split(' ', 2);
        if (method === 'GET' && target === '/ws' && header(head, 'upgrade')?.toLowerCase() === 'websocket') {
          const key = header(head, 'sec-websocket-key') ?? '';
          socket.write(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
          );
          websocket = true;
          continue;
        }
        if (method === 'POST' && target === '/upload') {
          const length = Number(header(head, 'content-length'));
          if (!Number.isSafeInteger(length) || header(head, 'transfer-encoding')) {
            socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
            return;
          }
          uploadLeft = length;
          uploaded = 0;
          if (length === 0) answer(socket, '200 OK', '0\n');
          continue;
        }
        const download = /^\/download\?bytes=(\d+)$/.exec(target ?? '');
        if (method === 'GET' && download) {
          const bytes = Number(download[1]);
          socket.write(
            `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bytes}\r\n\r\n`,
          );
          busy = true;
          stream(socket, bytes, () => {
            busy = false;
            next();
          });
          return;
        }
        answer(socket, '200 OK', small);
      }
    };

    socket.on('data', (data: Buffer) => {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
      next();
    });
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
      const address = server.address();
      if (typeof address === 'object' && address) resolve(address.port);
      else reject(new Error('scale origin: no address'));
    });
  });
}

const count = Number(process.argv[2] ?? 2);
const ports = await Promise.all(Array.from({ length: count }, () => listen(serve())));
process.stdout.write(`${JSON.stringify({ ports })}\n`);
