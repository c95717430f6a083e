/**
 * Raw TCP clients for malformed and hostile HTTP input, which no HTTP client library will send.
 *
 * @example
 * const { reply, closed } = await rawExchange(gw.port, 'HELLO\r\n\r\n');
 * assert.match(reply, /^HTTP\/1\.1 400 /);
 */
import { connect } from 'node:net';

/** What the server sent back on one raw connection. */
export interface RawReply {
  /** Every byte the server sent, as latin1 text. */
  reply: string;
  /** Whether the server closed the connection (rather than the liveness bound running out). */
  closed: boolean;
  /** From connect until the close (or the bound). */
  elapsedMs: number;
}

/**
 * Writes `text` on a fresh connection to 127.0.0.1:`port` and collects the server's bytes until it
 * closes the connection, or `limitMs` passes (then `closed` is false).
 */
export function rawExchange(port: number, text: string, limitMs = 5_000): Promise<RawReply> {
  return rawConnection(port, limitMs, (write) => write(text));
}

/** Options for {@link slowloris}. */
export interface SlowlorisOptions {
  /** Sent at once: the request line and the first headers, without the blank line that ends the head. */
  start: string;
  /** Sent every `intervalMs` while the connection is open. */
  drip: string;
  intervalMs: number;
  limitMs: number;
}

/** A client that never finishes its request head: it keeps dripping header bytes until cut off. */
export function slowloris(port: number, opts: SlowlorisOptions): Promise<RawReply & { drips: number }> {
  let drips = 0;
  let timer: NodeJS.Timeout | undefined;
  return rawConnection(port, opts.limitMs, (write) => {
    write(opts.start);
    timer = setInterval(() => {
      drips++;
      write(opts.drip);
    }, opts.intervalMs);
  }).then((reply) => {
    clearInterval(timer);
    return { ...reply, drips };
  });
}

function rawConnection(
  port: number,
  limitMs: number,
  talk: (write: (text: string) => void) => void,
): Promise<RawReply> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (closed: boolean): void => {
      clearTimeout(bound);
      resolve({ reply: Buffer.concat(chunks).toString('latin1'), closed, elapsedMs: Date.now() - started });
    };
    const bound = setTimeout(() => {
      socket.removeAllListeners('close');
      socket.destroy();
      done(false);
    }, limitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the server's answer is still the server closing the connection.
    socket.on('error', () => {});
    socket.on('close', () => done(true));
    talk((text) => {
      if (socket.writable) socket.write(text, 'latin1');
    });
  });
}
