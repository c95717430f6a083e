import { FIELD_TEXT, TOKEN } from './field-chars.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const COMMA = 0x2c;

/** What Transfer-Encoding says about the body (RFC 9112 §6.3). */
export const TransferCoding = {
  /** No Transfer-Encoding field. */
  none: 0,
  /** The final coding is chunked. */
  chunked: 1,
  /** Some other final coding: the body runs until the connection closes. */
  other: 2,
} as const;
export type TransferCoding = (typeof TransferCoding)[keyof typeof TransferCoding];

/**
 * One response head (status line, field lines and the empty line), parsed strictly per RFC 9112 from its
 * bytes. Reused from one response to the next: `parse` resets every field. Only the fields that
 * frame the message or the connection are interpreted; the others are kept as received.
 *
 * @example
 * const head = new ResponseHead();
 * const bytes = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n');
 * head.parse(bytes, 0, bytes.length); // undefined (valid)
 * head.contentLength; // 2
 */
export class ResponseHead {
  status = 0;
  statusText = '';
  /** Flat `[name, value, ...]`, names as received, values without surrounding whitespace. */
  headers: string[] = [];
  http10 = false;
  /** -1 when absent. */
  contentLength = -1;
  transferCoding: TransferCoding = TransferCoding.none;
  connectionClose = false;
  connectionKeepAlive = false;
  /** From `Keep-Alive: timeout=N`, in milliseconds. */
  keepAliveHintMs: number | undefined = undefined;
  #chunkedSeen = false;

  /**
   * Parses the head in `bytes[start, end)`, which ends with its first CRLF CRLF. Returns why it is
   * invalid, or undefined. Bytes are checked as such; strings are sliced from one latin1 decoding.
   */
  parse(bytes: Buffer, start: number, end: number): string | undefined {
    this.headers = [];
    this.contentLength = -1;
    this.transferCoding = TransferCoding.none;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
    this.keepAliveHintMs = undefined;
    this.#chunkedSeen = false;
    const text = bytes.toString('latin1', start, end);
    let pos = this.#parseStatusLine(bytes, start, text);
    if (pos < 0) return pos === -2 ? 'invalid line ending' : 'invalid status line';
    const headers = this.headers;
    for (;;) {
      let code = bytes[pos]!;
      if (code === CR) return bytes[pos + 1] === LF ? undefined : 'invalid line ending';
      if (code === SP || code === HTAB) return 'obsolete line folding';
      const nameStart = pos;
      while (TOKEN[code] === 1) code = bytes[++pos]!;
      if (pos === nameStart || code !== COLON) return 'invalid header name';
      const nameEnd = pos;
      code = bytes[++pos]!;
      while (code === SP || code === HTAB) code = bytes[++pos]!;
      const valueStart = pos;
      // FIELD_TEXT excludes CR: one lookup per byte finds the line's end and checks the value.
      while (FIELD_TEXT[code] === 1) code = bytes[++pos]!;
      if (code !== CR) return code === LF ? 'invalid line ending' : 'invalid header value';
      if (bytes[pos + 1] !== LF) return 'invalid line ending';
      const valueEnd = trimOws(bytes, valueStart, pos);
      const lineEnd = pos;
      pos += 2;
      headers.push(
        text.slice(nameStart - start, nameEnd - start),
        text.slice(valueStart - start, valueEnd - start),
      );
      const invalid = this.#interpret(bytes, nameStart, nameEnd - nameStart, valueStart, valueEnd, lineEnd);
      if (invalid !== undefined) return invalid;
    }
  }

  /** Returns where the field lines start, -1 for an invalid status line, -2 for a bad line ending. */
  #parseStatusLine(bytes: Buffer, start: number, text: string): number {
    if (!text.startsWith('HTTP/1.')) return -1;
    const minor = bytes[start + 7];
    if ((minor !== 0x30 && minor !== 0x31) || bytes[start + 8] !== SP) return -1;
    const hundreds = digitAt(bytes, start + 9);
    const tens = digitAt(bytes, start + 10);
    const units = digitAt(bytes, start + 11);
    // 3DIGIT; values of 600 and above are outside RFC 9110 but frame like any final status.
    if (hundreds < 1 || tens < 0 || units < 0) return -1;
    this.status = hundreds * 100 + tens * 10 + units;
    this.http10 = minor === 0x30;
    let pos = start + 12;
    let code = bytes[pos]!;
    if (code === SP) {
      code = bytes[++pos]!;
      while (FIELD_TEXT[code] === 1) code = bytes[++pos]!;
      if (code !== CR) return code === LF ? -2 : -1;
      this.statusText = text.slice(13, pos - start);
    } else if (code === CR) {
      this.statusText = '';
    } else {
      return code === LF ? -2 : -1;
    }
    return bytes[pos + 1] === LF ? pos + 2 : -2;
  }

  /**
   * Takes note of the fields that frame the message or the connection; the rest pass untouched. A
   * framing field whose trailing whitespace holds an HTAB is refused: llhttp refuses such a length and
   * reads such a coding as one that is not chunked, and the framing must not depend on the reader.
   */
  #interpret(
    bytes: Buffer,
    name: number,
    nameLength: number,
    start: number,
    end: number,
    lineEnd: number,
  ): string | undefined {
    switch (nameLength) {
      case 10:
        if (equalsLower(bytes, name, 'connection')) this.#connection(bytes, start, end);
        else if (equalsLower(bytes, name, 'keep-alive')) this.#keepAlive(bytes, start, end);
        return undefined;
      case 14:
        if (!equalsLower(bytes, name, 'content-length')) return undefined;
        return hasTab(bytes, end, lineEnd)
          ? 'invalid content-length'
          : this.#contentLength(bytes, start, end);
      case 17:
        if (!equalsLower(bytes, name, 'transfer-encoding')) return undefined;
        return hasTab(bytes, end, lineEnd)
          ? 'invalid transfer-encoding'
          : this.#transferEncoding(bytes, start, end);
      default:
        return undefined;
    }
  }

  /** `1*DIGIT`, or a list of equal ones (RFC 9110 §8.6); several fields must agree too. */
  #contentLength(bytes: Buffer, start: number, end: number): string | undefined {
    for (let pos = start; ; ) {
      const comma = elementEnd(bytes, pos, end);
      const from = skipOws(bytes, pos, comma);
      const length = parseDigits(bytes, from, trimOws(bytes, from, comma));
      if (length < 0 || (this.contentLength >= 0 && length !== this.contentLength)) {
        return 'invalid content-length';
      }
      this.contentLength = length;
      if (comma === end) return undefined;
      pos = comma + 1;
    }
  }

  /**
   * The final coding decides; chunked applied twice is refused (RFC 9112 §6.1). So is an empty list
   * element (`chunked,`): llhttp reads the body of such a response until close, RFC 9110 §5.6.1 as
   * chunked, and the framing must not depend on the reading.
   */
  #transferEncoding(bytes: Buffer, start: number, end: number): string | undefined {
    for (let pos = start; pos <= end; ) {
      const comma = elementEnd(bytes, pos, end);
      const from = skipOws(bytes, pos, comma);
      const to = trimOws(bytes, from, comma);
      pos = comma + 1;
      if (from === to) return 'invalid transfer-encoding';
      const chunked = to - from === 7 && equalsLower(bytes, from, 'chunked');
      if (chunked && this.#chunkedSeen) return 'invalid transfer-encoding';
      this.#chunkedSeen ||= chunked;
      this.transferCoding = chunked ? TransferCoding.chunked : TransferCoding.other;
    }
    return undefined;
  }

  #connection(bytes: Buffer, start: number, end: number): void {
    for (let pos = start; pos <= end; ) {
      const comma = elementEnd(bytes, pos, end);
      const from = skipOws(bytes, pos, comma);
      const length = trimOws(bytes, from, comma) - from;
      if (length === 5 && equalsLower(bytes, from, 'close')) this.connectionClose = true;
      else if (length === 10 && equalsLower(bytes, from, 'keep-alive')) this.connectionKeepAlive = true;
      pos = comma + 1;
    }
  }

  /** `timeout=N` among the parameters; anything unreadable is ignored, as it is only a hint. */
  #keepAlive(bytes: Buffer, start: number, end: number): void {
    for (let pos = start; pos <= end; ) {
      const comma = elementEnd(bytes, pos, end);
      const from = skipOws(bytes, pos, comma);
      const to = trimOws(bytes, from, comma);
      pos = comma + 1;
      if (to - from <= 8 || !equalsLower(bytes, from, 'timeout=')) continue;
      const seconds = parseDigits(bytes, from + 8, to);
      if (seconds >= 0 && seconds <= MAX_TIMEOUT_SECONDS) this.keepAliveHintMs = seconds * 1000;
    }
  }
}

const MAX_TIMEOUT_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

function digitAt(bytes: Buffer, pos: number): number {
  const digit = bytes[pos]! - 0x30;
  return digit >= 0 && digit <= 9 ? digit : -1;
}

/** `1*DIGIT` in `[start, end)` as a safe integer, or -1. */
function parseDigits(bytes: Buffer, start: number, end: number): number {
  if (start === end) return -1;
  let value = 0;
  for (let pos = start; pos < end; pos++) {
    const digit = bytes[pos]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
    if (value > Number.MAX_SAFE_INTEGER) return -1;
  }
  return value;
}

/**
 * Whether `bytes` at `pos` match `lower`, ignoring ASCII case. `lower` holds only lowercase letters,
 * `-` and `=`; the bytes were already checked to hold no control, the only others that `| 0x20` could
 * turn into those.
 */
function equalsLower(bytes: Buffer, pos: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    if ((bytes[pos + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Where the list element starting at `pos` ends: the next comma, or `end`. */
function elementEnd(bytes: Buffer, pos: number, end: number): number {
  while (pos < end && bytes[pos]! !== COMMA) pos++;
  return pos;
}

function skipOws(bytes: Buffer, pos: number, end: number): number {
  while (pos < end && isOws(bytes[pos]!)) pos++;
  return pos;
}

function trimOws(bytes: Buffer, start: number, end: number): number {
  while (end > start && isOws(bytes[end - 1]!)) end--;
  return end;
}

function hasTab(bytes: Buffer, start: number, end: number): boolean {
  for (let pos = start; pos < end; pos++) if (bytes[pos] === HTAB) return true;
  return false;
}

function isOws(code: number): boolean {
  return code === SP || code === HTAB;
}
