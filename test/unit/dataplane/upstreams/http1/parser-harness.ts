import assert from 'node:assert/strict';
import {
  type ResponseParseError,
  ResponseParser,
  type ResponseParserHandler,
} from '../../../../../src/dataplane/upstreams/http1/response-parser.js';

/** Everything a parser reported for one response. */
export interface Outcome {
  heads: { status: number; statusText: string; headers: string[] }[];
  /** Interim (1xx) heads, in order. */
  interim: Outcome['heads'];
  body: string;
  ends: number;
  /** The last `execute` (or `finish`) result; an error as its reason. */
  result: 'more' | 'done' | 'idle' | { error: string };
  keepAlive: boolean;
  keepAliveHintMs: number | undefined;
  leftover: number;
}

/** A handler that records what it is told, body bytes copied (the parser's input may be reused). */
export class Recorder implements ResponseParserHandler {
  readonly heads: Outcome['heads'] = [];
  readonly interim: Outcome['heads'] = [];
  readonly data: Buffer[] = [];
  ends = 0;

  onResponseHead(status: number, statusText: string, headers: string[]): void {
    this.heads.push({ status, statusText, headers });
  }
  onInterimResponse(status: number, statusText: string, headers: string[]): void {
    this.interim.push({ status, statusText, headers });
  }
  onResponseData(chunk: Buffer): void {
    assert.ok(chunk.length > 0, 'no empty data callbacks');
    this.data.push(chunk);
  }
  onResponseEnd(): void {
    this.ends++;
  }
}

export interface FeedOptions {
  /** The request was HEAD. */
  head?: boolean;
  maxHeadBytes?: number;
  /** Call `finish()` after the last piece when it returned 'more' (the upstream closed). */
  eof?: boolean;
}

type Result = 'more' | 'done' | 'idle' | ResponseParseError;

function summarize(result: Result): Outcome['result'] {
  return typeof result === 'string' ? result : { error: result.reason };
}

/** Feeds `pieces` in order to a fresh parser, stopping at the first result other than 'more'. */
export function feed(pieces: readonly (string | Uint8Array)[], options: FeedOptions = {}): Outcome {
  const recorder = new Recorder();
  const parser = new ResponseParser(recorder, options.maxHeadBytes ?? 8192);
  parser.reset(options.head ?? false);
  let result: Result = 'more';
  for (const piece of pieces) {
    result = parser.execute(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : Buffer.from(piece));
    if (result !== 'more') break;
  }
  if (result === 'more' && options.eof) result = parser.finish();
  return {
    heads: recorder.heads,
    interim: recorder.interim,
    body: Buffer.concat(recorder.data).toString('latin1'),
    ends: recorder.ends,
    result: summarize(result),
    keepAlive: parser.keepAlive,
    keepAliveHintMs: parser.keepAliveHintMs,
    leftover: parser.leftover,
  };
}

/** Every byte on its own. */
export function bytewise(input: string): string[] {
  return [...input];
}

/**
 * Parses `input` whole and byte by byte, asserts both agree (leftover aside: it counts bytes of the
 * last piece) and returns the whole-input outcome.
 */
export function parse(input: string, options: FeedOptions = {}): Outcome {
  const whole = feed([input], options);
  const split = feed(bytewise(input), options);
  assert.deepStrictEqual({ ...split, leftover: 0 }, { ...whole, leftover: 0 }, 'split at every byte');
  return whole;
}

/** The reason `input` is refused for, asserting it is refused whole and byte by byte alike. */
export function refusal(input: string, options: FeedOptions = {}): string {
  const outcome = parse(input, options);
  assert.equal(typeof outcome.result, 'object', `expected an error, got ${JSON.stringify(outcome.result)}`);
  return (outcome.result as { error: string }).error;
}
