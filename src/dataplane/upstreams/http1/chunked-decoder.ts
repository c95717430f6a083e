import { FIELD_TEXT, HEX_VALUE, TOKEN } from './field-chars.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const SEMICOLON = 0x3b;

/** A chunk-size line longer than this (size, extensions and all) is refused. */
const MAX_SIZE_LINE_BYTES = 4096;
/** 15 hex digits hold every safe integer. */
const MAX_SIZE_DIGITS = 15;

// Where the decoder stands; the trailer states come last, so one comparison tells them apart.
const SIZE_START = 0;
const SIZE = 1;
const SIZE_BWS = 2;
const EXTENSION = 3;
const SIZE_LF = 4;
const DATA = 5;
const DATA_CR = 6;
const DATA_LF = 7;
const TRAILER_START = 8;
const TRAILER_NAME = 9;
const TRAILER_VALUE = 10;
const TRAILER_LF = 11;
const END_LF = 12;

/**
 * Removes chunked framing (RFC 9112 §7.1) from a body fed in pieces split anywhere. Chunk data goes to
 * `onData` as subarrays of the input; chunk extensions and trailer fields are checked and dropped.
 *
 * @example
 * const decoder = new ChunkedDecoder((data) => out.push(data), 16_384);
 * decoder.execute(Buffer.from('2\r\nhi\r\n0\r\n\r\n'), 0); // 12: the body ends there
 */
export class ChunkedDecoder {
  readonly #onData: (data: Buffer) => void;
  readonly #maxTrailerBytes: number;
  #state = SIZE_START;
  /** While reading a size: the size so far; in the data: what is left of it. */
  #size = 0;
  #sizeDigits = 0;
  #sizeLineBytes = 0;
  #trailerBytes = 0;

  constructor(onData: (data: Buffer) => void, maxTrailerBytes: number) {
    this.#onData = onData;
    this.#maxTrailerBytes = maxTrailerBytes;
  }

  /** Arms the decoder for a new body. */
  reset(): void {
    this.#state = SIZE_START;
    this.#trailerBytes = 0;
  }

  /**
   * Decodes `chunk` from `start`. Returns the index just past the body's final CRLF, -1 when every byte
   * was used and more are needed, or why the framing is invalid (the decoder is then unusable until reset).
   */
  execute(chunk: Buffer, start: number): number | string {
    const length = chunk.length;
    let state = this.#state;
    let pos = start;
    while (pos < length) {
      if (state === DATA) {
        const end = Math.min(length, pos + this.#size);
        this.#size -= end - pos;
        if (this.#size === 0) state = DATA_CR;
        this.#state = state;
        this.#onData(pos === 0 && end === length ? chunk : chunk.subarray(pos, end));
        pos = end;
        continue;
      }
      const code = chunk[pos++]!;
      if (state >= TRAILER_START && ++this.#trailerBytes > this.#maxTrailerBytes) return 'trailers too large';
      switch (state) {
        case SIZE_START: {
          const digit = HEX_VALUE[code]!;
          if (digit < 0) return 'invalid chunk size';
          this.#size = digit;
          this.#sizeDigits = 1;
          this.#sizeLineBytes = 1;
          state = SIZE;
          break;
        }
        case SIZE: {
          const digit = HEX_VALUE[code]!;
          if (digit >= 0) {
            this.#size = this.#size * 16 + digit;
            if (++this.#sizeDigits > MAX_SIZE_DIGITS || this.#size > Number.MAX_SAFE_INTEGER) {
              return 'invalid chunk size';
            }
            this.#sizeLineBytes++;
          } else if (code === CR) state = SIZE_LF;
          else if (code === SEMICOLON) state = EXTENSION;
          // BWS is allowed before an extension only (RFC 9112 §7.1.1).
          else if (code === SP || code === HTAB) state = SIZE_BWS;
          else return refusal(code, 'invalid chunk size');
          break;
        }
        case SIZE_BWS:
          if (code === SEMICOLON) state = EXTENSION;
          else if (code !== SP && code !== HTAB) return refusal(code, 'invalid chunk size');
          if (++this.#sizeLineBytes > MAX_SIZE_LINE_BYTES) return 'chunk extension too long';
          break;
        case EXTENSION:
          if (code === CR) state = SIZE_LF;
          else if (FIELD_TEXT[code] !== 1) return refusal(code, 'invalid chunk extension');
          else if (++this.#sizeLineBytes > MAX_SIZE_LINE_BYTES) return 'chunk extension too long';
          break;
        case SIZE_LF:
          if (code !== LF) return 'invalid line ending';
          state = this.#size === 0 ? TRAILER_START : DATA;
          break;
        case DATA_CR:
          if (code !== CR) return 'invalid chunk data end';
          state = DATA_LF;
          break;
        case DATA_LF:
          if (code !== LF) return 'invalid chunk data end';
          state = SIZE_START;
          break;
        case TRAILER_START:
          if (code === CR) state = END_LF;
          else if (TOKEN[code] === 1) state = TRAILER_NAME;
          else if (code === SP || code === HTAB) return 'obsolete line folding';
          else return refusal(code, 'invalid trailer');
          break;
        case TRAILER_NAME:
          if (code === COLON) state = TRAILER_VALUE;
          else if (TOKEN[code] !== 1) return refusal(code, 'invalid trailer');
          break;
        case TRAILER_VALUE:
          if (code === CR) state = TRAILER_LF;
          else if (FIELD_TEXT[code] !== 1) return refusal(code, 'invalid trailer');
          break;
        case TRAILER_LF:
          if (code !== LF) return 'invalid line ending';
          state = TRAILER_START;
          break;
        case END_LF:
          if (code !== LF) return 'invalid line ending';
          this.#state = SIZE_START;
          return pos;
      }
    }
    this.#state = state;
    return -1;
  }
}

/** Why `code` is refused: a bare LF says so whatever the state expected. */
function refusal(code: number, reason: string): string {
  return code === LF ? 'invalid line ending' : reason;
}
