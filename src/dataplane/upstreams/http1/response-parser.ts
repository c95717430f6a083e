import { ChunkedDecoder } from './chunked-decoder.js';
import { ResponseHead, TransferCoding } from './response-head.js';
import { ResponseParseError } from './response-parse-error.js';

export { ResponseParseError } from './response-parse-error.js';

/** What the parser reports; the connection implements it. */
export interface ResponseParserHandler {
  /**
   * Final response head (status >= 200). `headers` is flat [name, value, name, value...] exactly as
   * received (names' case kept, values with surrounding OWS trimmed), latin1 strings.
   */
  onResponseHead(status: number, statusText: string, headers: string[]): void;
  /** An interim response (1xx other than 101), headers as in `onResponseHead`; without it they are skipped. */
  onInterimResponse?(status: number, statusText: string, headers: string[]): void;
  /** Decoded body bytes (chunked framing removed), often a subarray of the input chunk (zero-copy). */
  onResponseData(chunk: Buffer): void;
  /** The response is complete. The handler may `reset` the parser from here. */
  onResponseEnd(): void;
}

// Where the parser stands in the current response.
const HEAD = 0;
const BODY_LENGTH = 1;
const BODY_CHUNKED = 2;
const BODY_UNTIL_CLOSE = 3;
const DONE = 4;
const FAILED = 5;

const HEAD_END = Buffer.from('\r\n\r\n');
const BARE_LF_END = Buffer.from('\n\n');
const STATUS_LINE_START = Buffer.from('HTTP/1.');
/** A head split across reads is gathered in a buffer; one up to this size is kept for the next. */
const KEPT_HEAD_BUFFER_BYTES = 4096;
/** More interim responses than this before the final one is an upstream stalling, not processing. */
export const MAX_INTERIM_RESPONSES = 32;

/**
 * A strict, incremental HTTP/1.1 response parser (RFC 9112) for one keep-alive connection, one response
 * at a time. Bytes go in with `execute` as they come off the socket, split anywhere; the head, body
 * pieces and end come out through the handler, synchronously. Anything that could leave the connection
 * out of step with the upstream (bare LF, obs-fold, conflicting lengths, bad chunk framing) is an error.
 *
 * @example
 * const parser = new ResponseParser(handler, 16_384);
 * parser.reset(false);
 * parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi')); // 'done'
 * parser.keepAlive; // true
 */
export class ResponseParser {
  readonly #handler: ResponseParserHandler;
  readonly #maxHeadBytes: number;
  readonly #head = new ResponseHead();
  readonly #chunked: ChunkedDecoder;
  #headRequest = false;
  /** Armed by `resetForUpgrade`: a 101 is then a final response. */
  #switchAllowed = false;
  #state = HEAD;
  /** Body bytes still expected when the length is known. */
  #remaining = 0;
  /** A head gathered across reads: `#partialHead[0, #partialLength)`. */
  #partialHead: Buffer | undefined;
  #partialLength = 0;
  #keepAlive = false;
  #keepAliveHintMs: number | undefined;
  #started = false;
  #interim = 0;
  #leftover = 0;
  #error: ResponseParseError | undefined;

  constructor(handler: ResponseParserHandler, maxHeadBytes: number) {
    this.#handler = handler;
    this.#maxHeadBytes = maxHeadBytes;
    this.#chunked = new ChunkedDecoder((data) => handler.onResponseData(data), maxHeadBytes);
  }

  /**
   * After the head: whether the connection may be reused once this response completes (HTTP/1.1 without
   * `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`; never for close-delimited bodies,
   * when Transfer-Encoding comes with Content-Length or in HTTP/1.0, after a HEAD, or after a 204/304
   * that announces a body).
   */
  get keepAlive(): boolean {
    return this.#keepAlive;
  }

  /** Milliseconds from a `Keep-Alive: timeout=N` response header, undefined when absent or invalid. */
  get keepAliveHintMs(): number | undefined {
    return this.#keepAliveHintMs;
  }

  /** True once any byte of the current response was received (a reset after that is not retried). */
  get started(): boolean {
    return this.#started;
  }

  /** True until the final response head has been parsed (interim responses do not count). */
  get awaitingHead(): boolean {
    return this.#state === HEAD;
  }

  /** Bytes after the end of the response in the last `execute` chunk (not cleared by `reset`). */
  get leftover(): number {
    return this.#leftover;
  }

  /** Arms the parser for the response to a new request; for HEAD the response has no body. */
  reset(headRequest: boolean): void {
    this.#headRequest = headRequest;
    this.#switchAllowed = false;
    this.#state = HEAD;
    this.#remaining = 0;
    this.#partialLength = 0;
    this.#keepAlive = false;
    this.#keepAliveHintMs = undefined;
    this.#started = false;
    this.#interim = 0;
    this.#error = undefined;
  }

  /**
   * Arms the parser for the answer to a request with `Upgrade`: a 101 is then a final response that ends
   * with its head, and the bytes after it (`leftover`) are the new protocol's.
   */
  resetForUpgrade(headRequest: boolean): void {
    this.reset(headRequest);
    this.#switchAllowed = true;
  }

  /**
   * Feeds bytes from the socket: 'more' when more are needed, 'done' once `onResponseEnd` ran (see
   * `leftover`), or the error on malformed input, after which the parser is dead until `reset`.
   */
  execute(chunk: Buffer): 'more' | 'done' | ResponseParseError {
    this.#leftover = 0;
    let pos = 0;
    switch (this.#state) {
      case HEAD: {
        if (chunk.length === 0) return 'more';
        this.#started = true;
        const bodyStart = this.#readHeads(chunk);
        if (typeof bodyStart !== 'number') return bodyStart;
        if (bodyStart < 0) return 'more';
        pos = bodyStart;
        break;
      }
      case DONE:
        return chunk.length === 0 ? 'done' : this.#fail('data after response');
      case FAILED:
        return this.#error!;
    }
    switch (this.#state) {
      case BODY_LENGTH:
        return this.#readLengthBody(chunk, pos);
      case BODY_CHUNKED: {
        const end = this.#chunked.execute(chunk, pos);
        if (typeof end === 'string') return this.#fail(end);
        return end < 0 ? 'more' : this.#end(chunk.length - end);
      }
      case BODY_UNTIL_CLOSE:
        if (pos < chunk.length) this.#handler.onResponseData(pos === 0 ? chunk : chunk.subarray(pos));
        return 'more';
      default:
        // The handler reset the parser from onResponseHead: the rest of this chunk is not for it.
        return 'more';
    }
  }

  /**
   * The socket reached EOF: ends a close-delimited body ('done'); 'idle' when no byte of a response had
   * arrived (or it had completed); otherwise an 'incomplete response' error.
   */
  finish(): 'done' | 'idle' | ResponseParseError {
    switch (this.#state) {
      case BODY_UNTIL_CLOSE:
        return this.#end(0);
      case DONE:
        return 'idle';
      case FAILED:
        return this.#error!;
      case HEAD:
        if (!this.#started) return 'idle';
    }
    return this.#fail('incomplete response');
  }

  /** Reads heads until a final one; returns where its body starts, -1 for more bytes, or the error. */
  #readHeads(chunk: Buffer): number | ResponseParseError {
    let pos = 0;
    for (;;) {
      const end = this.#partialLength === 0 ? this.#readWholeHead(chunk, pos) : this.#gatherHead(chunk, pos);
      if (typeof end !== 'number' || end < 0) return end;
      const head = this.#head;
      if (head.status >= 200 || (head.status === 101 && this.#switchAllowed)) {
        this.#startBody();
        this.#handler.onResponseHead(head.status, head.statusText, head.headers);
        return end;
      }
      if (head.status === 101) return this.#fail('unexpected protocol switch');
      // An interim response: the final one follows.
      if (++this.#interim > MAX_INTERIM_RESPONSES) return this.#fail('too many interim responses');
      this.#handler.onInterimResponse?.(head.status, head.statusText, head.headers);
      if (end === chunk.length) return -1;
      pos = end;
    }
  }

  /** The fast path: the whole head is in `chunk` from `pos`. */
  #readWholeHead(chunk: Buffer, pos: number): number | ResponseParseError {
    const at = chunk.indexOf(HEAD_END, pos);
    if (at < 0) return this.#gatherHead(chunk, pos);
    const end = at + HEAD_END.length;
    if (end - pos > this.#maxHeadBytes) return this.#fail('head too large');
    return this.#parseHead(chunk, pos, end) ?? end;
  }

  /** Adds `chunk[pos..]` to a head split across reads; returns as `#readWholeHead`. */
  #gatherHead(chunk: Buffer, pos: number): number | ResponseParseError {
    const had = this.#partialLength;
    const taken = Math.min(chunk.length - pos, this.#maxHeadBytes - had);
    const length = had + taken;
    const buffer = this.#partialBuffer(length);
    chunk.copy(buffer, had, pos, pos + taken);
    this.#partialLength = length;
    const gathered = buffer.subarray(0, length);
    // An answer that is not HTTP/1.x (a Redis error, HTTP/0.9) fails now, not at the upstream timeout.
    if (had < STATUS_LINE_START.length && !startsAsStatusLine(gathered))
      return this.#fail('invalid status line');
    // The end may straddle the two reads.
    const at = gathered.indexOf(HEAD_END, Math.max(0, had - 3));
    if (at < 0) {
      if (length === this.#maxHeadBytes) return this.#fail('head too large');
      // A head ending in bare LFs would otherwise wait for a CRLF CRLF that never comes.
      if (gathered.indexOf(BARE_LF_END, Math.max(0, had - 1)) >= 0) return this.#fail('invalid line ending');
      return -1;
    }
    const end = at + HEAD_END.length;
    this.#partialLength = 0;
    const invalid = this.#parseHead(buffer, 0, end);
    if (buffer.length > KEPT_HEAD_BUFFER_BYTES) this.#partialHead = undefined;
    return invalid ?? pos + end - had;
  }

  /** The buffer for a split head, grown (doubling, up to the head limit) to hold `length` bytes. */
  #partialBuffer(length: number): Buffer {
    const current = this.#partialHead;
    if (current !== undefined && current.length >= length) return current;
    const size = Math.min(this.#maxHeadBytes, Math.max(length, 1024, 2 * (current?.length ?? 0)));
    const grown = Buffer.allocUnsafe(size);
    if (current !== undefined) current.copy(grown, 0, 0, this.#partialLength);
    this.#partialHead = grown;
    return grown;
  }

  #parseHead(bytes: Buffer, start: number, end: number): ResponseParseError | undefined {
    const invalid = this.#head.parse(bytes, start, end);
    return invalid === undefined ? undefined : this.#fail(invalid);
  }

  /** Frames the body and the connection's fate from the final head (RFC 9112 §6.3, §9.3). */
  #startBody(): void {
    const head = this.#head;
    const status = head.status;
    const coding = head.transferCoding;
    let keepAlive = head.http10 ? head.connectionKeepAlive && !head.connectionClose : !head.connectionClose;
    // Both lengths, or chunked from an HTTP/1.0 peer, hint at smuggling: use the body, not the connection.
    if (coding !== TransferCoding.none && (head.contentLength >= 0 || head.http10)) keepAlive = false;
    this.#remaining = 0;
    if (this.#headRequest || status === 204 || status === 304 || status === 101) {
      this.#state = BODY_LENGTH;
      // Such a response ends with its head. Body bytes a faulty upstream sends anyway, in a later read,
      // would pass for the next request's response on a reused connection: another client's.
      if (this.#headRequest || coding !== TransferCoding.none || (status === 204 && head.contentLength > 0)) {
        keepAlive = false;
      }
    } else if (coding === TransferCoding.chunked) {
      this.#state = BODY_CHUNKED;
      this.#chunked.reset();
    } else if (coding === TransferCoding.none && head.contentLength >= 0) {
      this.#state = BODY_LENGTH;
      this.#remaining = head.contentLength;
    } else {
      this.#state = BODY_UNTIL_CLOSE;
      keepAlive = false;
    }
    this.#keepAlive = keepAlive;
    this.#keepAliveHintMs = head.keepAliveHintMs;
  }

  #readLengthBody(chunk: Buffer, pos: number): 'more' | 'done' {
    const length = chunk.length;
    const remaining = this.#remaining;
    if (remaining === 0) return this.#end(length - pos);
    if (pos === length) return 'more';
    const end = Math.min(length, pos + remaining);
    this.#remaining = remaining - (end - pos);
    this.#handler.onResponseData(pos === 0 && end === length ? chunk : chunk.subarray(pos, end));
    return this.#remaining === 0 ? this.#end(length - end) : 'more';
  }

  /** Completes the response; state is settled first, as the handler may reset the parser. */
  #end(leftover: number): 'done' {
    this.#state = DONE;
    this.#leftover = leftover;
    this.#handler.onResponseEnd();
    return 'done';
  }

  #fail(reason: string): ResponseParseError {
    const error = new ResponseParseError(reason);
    this.#state = FAILED;
    this.#error = error;
    return error;
  }
}

/** Whether the bytes so far could begin `HTTP/1.x` (fewer than seven bytes compare as far as they go). */
function startsAsStatusLine(bytes: Buffer): boolean {
  const n = Math.min(bytes.length, STATUS_LINE_START.length);
  return bytes.compare(STATUS_LINE_START, 0, n, 0, n) === 0;
}
