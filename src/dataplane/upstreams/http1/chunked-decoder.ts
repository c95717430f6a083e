import { FIELD_TEXT, HEX_VALUE, TOKEN } from './field-chars.js';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A chunk-size line longer than this (size, extensions and all) is refused. */
const MAX_SIZE_LINE_BYTES = 4096;
/** 15 hex digits hold every safe integer. */
const MAX_SIZE_DIGITS = 15;

// Where the decoder stands; the trailer states come last, so one comparison tells them apart.
const SIZE_START = 0;
const SIZE = 1;
// chunk-ext = *( ";" name [ "=" ( token / quoted-string ) ] ) (RFC 9112 §7.1.1, without BWS)
const EXT_START = 2;
const EXT_NAME = 3;
const EXT_VALUE_START = 4;
const EXT_TOKEN = 5;
const EXT_QUOTED = 6;
const EXT_QUOTED_PAIR = 7;
const EXT_VALUE_END = 8;
const SIZE_LF = 9;
const DATA = 10;
const DATA_CR = 11;
const DATA_LF = 12;
const TRAILER_START = 13;
const TRAILER_NAME = 14;
const TRAILER_VALUE = 15;
const TRAILER_LF = 16;
const END_LF = 17;

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
          else if (code === SEMICOLON) state = EXT_START;
          // BWS before an extension (RFC 9112 §7.1.1) too: llhttp refuses it, so nothing sends it.
          else return refusal(code, 'invalid chunk size');
          break;
        }
        case EXT_START:
        case EXT_NAME:
        case EXT_VALUE_START:
        case EXT_TOKEN:
        case EXT_QUOTED:
        case EXT_QUOTED_PAIR:
        case EXT_VALUE_END:
          if (++this.#sizeLineBytes > MAX_SIZE_LINE_BYTES) return 'chunk extension too long';
          state = extensionStep(state, code);
          if (state < 0) return refusal(code, 'invalid chunk extension');
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

/**
 * The state after `code` within chunk extensions, or -1 when it breaks their grammar, as llhttp reads
 * it: a lax reading here would be one more place for two parsers to part ways. BWS, which the grammar
 * allows around `;` and `=`, is refused too, as llhttp does.
 */
function extensionStep(state: number, code: number): number {
  const tchar = TOKEN[code] === 1;
  switch (state) {
    case EXT_START:
      return tchar ? EXT_NAME : -1;
    case EXT_NAME:
      return tchar ? EXT_NAME : code === EQUALS ? EXT_VALUE_START : afterElement(code);
    case EXT_VALUE_START:
      return tchar ? EXT_TOKEN : code === DQUOTE ? EXT_QUOTED : -1;
    case EXT_TOKEN:
      return tchar ? EXT_TOKEN : afterElement(code);
    case EXT_QUOTED:
      if (code === DQUOTE) return EXT_VALUE_END;
      if (code === BACKSLASH) return EXT_QUOTED_PAIR;
      return FIELD_TEXT[code] === 1 ? EXT_QUOTED : -1;
    case EXT_QUOTED_PAIR:
      return FIELD_TEXT[code] === 1 ? EXT_QUOTED : -1;
    default: // EXT_VALUE_END
      return afterElement(code);
  }
}

/** After an extension's name or value: `;` starts the next one, CR ends the line. */
function afterElement(code: number): number {
  return code === SEMICOLON ? EXT_START : code === CR ? SIZE_LF : -1;
}

/** Why `code` is refused: a bare LF says so whatever the state expected. */
function refusal(code: number, reason: string): string {
  return code === LF ? 'invalid line ending' : reason;
}
