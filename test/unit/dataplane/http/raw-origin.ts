import { type AddressInfo, createServer, type Socket } from 'node:net';

/** One connection to a raw origin: every byte it received, in order. */
export class OriginConnection {
  readonly socket: Socket;
  readonly #chunks: Buffer[] = [];
  #length = 0;
  /** How many received bytes `nextHead` has consumed. */
  #consumed = 0;
  closed = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  add(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  get length(): number {
    return this.#length;
  }

  /** Everything received so far. */
  bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  text(): string {
    return this.bytes().toString('latin1');
  }

  /** The next complete request head not yet taken (up to its CRLF CRLF), or undefined; reads all received so far. */
  nextHead(): string | undefined {
    const text = this.text();
    const end = text.indexOf('\r\n\r\n', this.#consumed);
    if (end < 0) return undefined;
    const head = text.slice(this.#consumed, end + 4);
    this.#consumed = end + 4;
    return head;
  }
}

/**
 * A hostile (or just raw) HTTP/1 origin on 127.0.0.1:0 that records every byte of every connection;
 * `onData` scripts its answers. Its connections are destroyed after the test.
 */
export async function startRawOrigin(
  t: { after: (fn: () => Promise<void> | void) => void },
  onData: (connection: OriginConnection) => void,
): Promise<{ port: number; connections: OriginConnection[] }> {
  const connections: OriginConnection[] = [];
  const server = createServer((socket) => {
    const connection = new OriginConnection(socket);
    connections.push(connection);
    socket.on('error', () => {});
    socket.on('close', () => {
      connection.closed = true;
    });
    socket.on('data', (chunk: Buffer) => {
      connection.add(chunk);
      onData(connection);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const connection of connections) connection.socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, connections };
}
