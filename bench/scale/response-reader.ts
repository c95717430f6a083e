/**
 * Reads HTTP/1.1 responses framed by `Content-Length` off a client socket, without keeping bodies: the
 * scale client only needs each response's status and end, and must not hold a 1 GiB download in memory.
 */
export class ResponseReader {
  #head: Buffer = Buffer.alloc(0);
  /** Body bytes still to come of the current response; -1 while reading a head. */
  #bodyLeft = -1;
  #status = 0;
  #close = false;
  readonly #onResponse: (status: number, close: boolean) => void;

  /** `onResponse` runs once per whole response; `close` when the server said `Connection: close`. */
  constructor(onResponse: (status: number, close: boolean) => void) {
    this.#onResponse = onResponse;
  }

  feed(data: Buffer): void {
    let rest: Buffer = data;
    while (rest.length > 0) {
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, rest.length);
        this.#bodyLeft -= take;
        rest = rest.subarray(take);
        if (this.#bodyLeft === 0) this.#end();
        continue;
      }
      this.#head = this.#head.length === 0 ? rest : Buffer.concat([this.#head, rest]);
      rest = Buffer.alloc(0);
      const end = this.#head.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = this.#head.subarray(0, end).toString('latin1');
      rest = this.#head.subarray(end + 4);
      this.#head = Buffer.alloc(0);
      this.#status = Number(head.slice(9, 12));
      this.#close = /\r\nconnection:[^\r\n]*close/i.test(head);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
      if (length === undefined) throw new Error(`response without Content-Length: ${head.slice(0, 200)}`);
      this.#bodyLeft = Number(length);
      if (this.#bodyLeft === 0) this.#end();
    }
  }

  #end(): void {
    this.#bodyLeft = -1;
    this.#onResponse(this.#status, this.#close);
  }
}
