/**
 * A minimal WebSocket client (RFC 6455) over a raw TCP socket, for tests: Node 20 has no global
 * WebSocket. It does the opening handshake (checking `Sec-WebSocket-Accept`), sends masked text
 * frames, and queues the server's text messages. No extensions, no fragmentation on send.
 *
 * @example
 * const ws = await openWebSocket(gw.port, { host: 'sticky.test', headers: { cookie } });
 * const hello = JSON.parse(await ws.next());
 * ws.send('ping');
 * assert.equal(await ws.next(), 'ping');
 * await ws.close();
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Options for {@link openWebSocket}. */
export interface WebSocketOptions {
  /** The `Host` header. */
  host: string;
  /** Default `/`. */
  path?: string;
  /** Extra request headers (a `cookie`, say). */
  headers?: Record<string, string>;
  /** Handshake deadline; default 10 s. */
  timeoutMs?: number;
}

/** The server refused the upgrade: its status and head. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly head: string,
  ) {
    super(`upgrade refused with ${status}: ${head.split('\r\n', 1)[0]}`);
  }
}

/**
 * Connects to 127.0.0.1:`port` and upgrades; resolves once the server answered 101 with the right
 * accept key. Rejects with {@link UpgradeRefused} for any other answer.
 */
export function openWebSocket(port: number, opts: WebSocketOptions): Promise<WebSocketClient> {
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  const lines = [
    `GET ${opts.path ?? '/'} HTTP/1.1`,
    `host: ${opts.host}`,
    'upgrade: websocket',
    'connection: Upgrade',
    `sec-websocket-key: ${key}`,
    'sec-websocket-version: 13',
    ...Object.entries(opts.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('no upgrade answer in time')), opts.timeoutMs ?? 10_000);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
      const head = received.subarray(0, end).toString('latin1');
      const status = Number(head.slice(9, 12));
      const headers = parseHeaders(head);
      if (status !== 101) fail(new UpgradeRefused(status, head));
      else if (headers['sec-websocket-accept'] !== accept) fail(new Error(`bad accept key in:\n${head}`));
      else resolve(new WebSocketClient(socket, headers, received.subarray(end + 4)));
    };
    const onClose = (): void => fail(new Error(`connection closed during the handshake after: ${received}`));
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** An open WebSocket connection; see {@link openWebSocket}. */
export class WebSocketClient {
  /** The 101 response's headers (lower-case names; repeated ones, like `set-cookie`, as arrays). */
  readonly headers: IncomingHttpHeaders;
  readonly #socket: Socket;
  #pending = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  readonly #messages: string[] = [];
  readonly #waiters: Array<{ resolve: (text: string) => void; reject: (err: Error) => void }> = [];
  #closed: Error | undefined;

  constructor(socket: Socket, headers: IncomingHttpHeaders, rest: Buffer) {
    this.#socket = socket;
    this.headers = headers;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.#end(new Error('the connection closed')));
    if (rest.length > 0) this.#onData(rest);
  }

  /** Sends one text message in one masked frame. */
  send(text: string): void {
    this.#socket.write(clientFrame(OP.text, Buffer.from(text)));
  }

  /** The next text message from the server; rejects if the connection ends or nothing comes in time. */
  next(timeoutMs = 10_000): Promise<string> {
    const message = this.#messages.shift();
    if (message !== undefined) return Promise.resolve(message);
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (text: string) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Sends a close frame (1000) and resolves once the connection is gone (destroyed after 5 s). */
  close(): Promise<void> {
    if (this.#socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#socket.destroy(), 5_000);
      this.#socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      const code = Buffer.alloc(2);
      code.writeUInt16BE(1000);
      this.#socket.end(clientFrame(OP.close, code));
    });
  }

  #onData(chunk: Buffer): void {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    for (let frame = serverFrame(this.#pending); frame; frame = serverFrame(this.#pending)) {
      this.#pending = this.#pending.subarray(frame.size);
      if (frame.opcode === OP.ping) this.#socket.write(clientFrame(OP.pong, frame.payload));
      else if (frame.opcode === OP.close) this.#socket.end();
      else if (frame.opcode === OP.text || frame.opcode === OP.continuation) {
        this.#fragments.push(frame.payload);
        if (frame.fin) this.#deliver(Buffer.concat(this.#fragments).toString());
      }
    }
  }

  #deliver(text: string): void {
    this.#fragments = [];
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(text);
    else this.#messages.push(text);
  }

  #end(err: Error): void {
    this.#closed ??= err;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
  }
}

/** A client frame: FIN set, payload masked with a random key. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = Buffer.alloc(len < 126 ? 2 : len < 65536 ? 4 : 10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = 0x80 | len;
  else if (len < 65536) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < len; i++) masked[i] = masked[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, masked]);
}

/** The first complete (unmasked) server frame in `buf`, or undefined if more bytes are needed. */
function serverFrame(
  buf: Buffer,
): { fin: boolean; opcode: number; payload: Buffer; size: number } | undefined {
  if (buf.length < 2) return undefined;
  let len = buf[1]! & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (buf.length < offset + len) return undefined;
  return {
    fin: (buf[0]! & 0x80) !== 0,
    opcode: buf[0]! & 0x0f,
    payload: buf.subarray(offset, offset + len),
    size: offset + len,
  };
}

/** Header lines of a response head, lower-cased; `set-cookie` always as an array. */
function parseHeaders(head: string): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'set-cookie') headers['set-cookie'] = [...(headers['set-cookie'] ?? []), value];
    else headers[name] = value;
  }
  return headers;
}
