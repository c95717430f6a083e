import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ResponseParseError,
  ResponseParser,
} from '../../../../../src/dataplane/upstreams/http1/response-parser.js';
import { feed, type Outcome, Recorder } from './parser-harness.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const FRAMING_NAMES = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

const tokenArb = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 16 });
/** VCHAR and obs-text, SP and HTAB: whatever a field value may hold. */
const textCharArb = fc.oneof(
  fc
    .integer({ min: 0x21, max: 0xff })
    .filter((code) => code !== 0x7f)
    .map((code) => String.fromCharCode(code)),
  fc.constantFrom(' ', '\t'),
);
const textArb = fc.string({ unit: textCharArb, maxLength: 30 });

interface Field {
  name: string;
  /** As sent, whitespace around it included. */
  raw: string;
}
const fieldArb: fc.Arbitrary<Field> = fc.record({
  name: tokenArb.filter((name) => !FRAMING_NAMES.has(name.toLowerCase())),
  raw: textArb,
});
const fieldsArb = fc.array(fieldArb, { maxLength: 8 });
const extensionArb = fc.constantFrom('', ';a', ';a=b', ';x="y z"', ';n=1;m=2', ';q="\xe9\\""');

interface Response {
  interim: { status: number; fields: Field[] }[];
  http10: boolean;
  status: number;
  reason: string;
  fields: Field[];
  /** Where among `fields` the framing field goes. */
  framingAt: number;
  body: Uint8Array;
  chunked: { cuts: number[]; extensions: string[]; upper: boolean; trailers: Field[] } | null;
}

const responseArb: fc.Arbitrary<Response> = fc.record({
  interim: fc.array(fc.record({ status: fc.constantFrom(100, 102, 103), fields: fieldsArb }), {
    maxLength: 2,
  }),
  http10: fc.boolean(),
  status: fc.integer({ min: 200, max: 599 }).filter((status) => status !== 204 && status !== 304),
  reason: fc.string({ unit: textCharArb, maxLength: 20 }),
  fields: fieldsArb,
  framingAt: fc.nat(),
  body: fc.uint8Array({ maxLength: 3000 }),
  chunked: fc.option(
    fc.record({
      cuts: fc.array(fc.nat(), { maxLength: 8 }),
      extensions: fc.array(extensionArb, { minLength: 10, maxLength: 10 }),
      upper: fc.boolean(),
      trailers: fieldsArb,
    }),
  ),
});

function trimOws(raw: string): string {
  return raw.replace(/^[ \t]+|[ \t]+$/g, '');
}

function head(startLine: string, fields: Field[]): string {
  return `${startLine}\r\n${fields.map((field) => `${field.name}:${field.raw}\r\n`).join('')}\r\n`;
}

function chunkedBody(body: Uint8Array, chunked: NonNullable<Response['chunked']>): Buffer {
  const cuts = [...new Set(chunked.cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) => a - b);
  const bounds = [0, ...cuts.filter((cut) => cut > 0 && cut < body.length), body.length];
  const parts: Buffer[] = [];
  for (let i = 1; i < bounds.length; i++) {
    const data = body.subarray(bounds[i - 1], bounds[i]);
    if (data.length === 0) continue;
    const size = data.length.toString(16);
    const extension = chunked.extensions[i % chunked.extensions.length];
    parts.push(Buffer.from(`${chunked.upper ? size.toUpperCase() : size}${extension}\r\n`, 'latin1'));
    parts.push(Buffer.from(data), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`0${chunked.extensions[0]}\r\n${head('', chunked.trailers).slice(2)}`, 'latin1'));
  return Buffer.concat(parts);
}

/** The bytes on the wire, and what a parser must report for them. */
function encode(response: Response): { wire: Buffer; expected: Outcome['heads'][number] } {
  const framing: Field = response.chunked
    ? { name: 'Transfer-Encoding', raw: ' chunked' }
    : { name: 'Content-Length', raw: ` ${response.body.length}` };
  const fields = [...response.fields];
  fields.splice(response.framingAt % (fields.length + 1), 0, framing);
  const startLine = `HTTP/1.${response.http10 ? 0 : 1} ${response.status} ${response.reason}`;
  const heads = response.interim.map(({ status, fields }) => head(`HTTP/1.1 ${status} Interim`, fields));
  const finalHead = Buffer.from(heads.join('') + head(startLine, fields), 'latin1');
  const body = response.chunked ? chunkedBody(response.body, response.chunked) : Buffer.from(response.body);
  return {
    wire: Buffer.concat([finalHead, body]),
    expected: {
      status: response.status,
      statusText: response.reason,
      headers: fields.flatMap((field) => [field.name, trimOws(field.raw)]),
    },
  };
}

/** `wire` cut at the given points (taken modulo its length). */
function split(wire: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((point) => point % wire.length))].sort((a, b) => a - b);
  const bounds = [0, ...cuts.filter((cut) => cut > 0), wire.length];
  return bounds.slice(1).map((end, i) => wire.subarray(bounds[i], end));
}

test('a valid response gives the same head, body and end however its bytes are split', () => {
  fc.assert(
    fc.property(responseArb, fc.array(fc.nat(), { maxLength: 40 }), (response, points) => {
      const { wire, expected } = encode(response);
      const whole = feed([wire]);
      assert.deepEqual(whole.heads, [expected]);
      assert.equal(whole.body, Buffer.from(response.body).toString('latin1'));
      assert.deepEqual([whole.result, whole.ends, whole.leftover], ['done', 1, 0]);
      // No Connection field: HTTP/1.1 persists, HTTP/1.0 does not.
      assert.equal(whole.keepAlive, !response.http10);
      assert.deepEqual(feed(split(wire, points)), whole);
    }),
    { numRuns: 400 },
  );
});

test('a valid response fed byte by byte gives the same outcome', () => {
  fc.assert(
    fc.property(responseArb, (response) => {
      const { wire } = encode(response);
      assert.deepEqual(feed([...wire].map((byte) => Uint8Array.of(byte))), feed([wire]));
    }),
    { numRuns: 50 },
  );
});

type Result = ReturnType<ResponseParser['execute']> | ReturnType<ResponseParser['finish']>;

function assertWellFormed(result: Result): void {
  if (typeof result === 'string') assert.ok(['more', 'done', 'idle'].includes(result));
  else assert.ok(result instanceof ResponseParseError && result.reason.length > 0);
}

/** Feeds `pieces` to a parser, asserting no throw and sane results all along; true when it refused. */
function feedArbitrary(pieces: Buffer[], maxHeadBytes: number, headRequest: boolean): boolean {
  const parser = new ResponseParser(new Recorder(), maxHeadBytes);
  parser.reset(headRequest);
  for (const piece of pieces) {
    const result = parser.execute(piece);
    assertWellFormed(result);
    if (result instanceof ResponseParseError) {
      assert.equal(parser.execute(piece), result, 'dead until reset');
      return true;
    }
    if (result === 'done') return false;
  }
  const end = parser.finish();
  assertWellFormed(end);
  return end instanceof ResponseParseError;
}

const prefixArb = fc.constantFrom(
  '',
  'HTTP/1.1 ',
  'HTTP/1.1 200 OK\r\n',
  'HTTP/1.1 100 Continue\r\n\r\n',
  'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n',
  'HTTP/1.0 200 OK\r\n\r\n',
);

test('arbitrary bytes never make the parser throw', () => {
  fc.assert(
    fc.property(
      prefixArb,
      fc.uint8Array({ maxLength: 400 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.integer({ min: 8, max: 600 }),
      fc.boolean(),
      (prefix, random, points, maxHeadBytes, headRequest) => {
        const wire = Buffer.concat([Buffer.from(prefix, 'latin1'), random]);
        feedArbitrary(wire.length === 0 ? [] : split(wire, points), maxHeadBytes, headRequest);
      },
    ),
    { numRuns: 2000 },
  );
});

test('a damaged response never makes the parser throw, and is refused alike however it is split', () => {
  const damageArb = fc.array(
    fc.tuple(fc.nat(), fc.constantFrom(0, 9, 10, 13, 32, 48, 58, 59, 65, 127, 255)),
    {
      minLength: 1,
      maxLength: 3,
    },
  );
  fc.assert(
    fc.property(responseArb, damageArb, fc.array(fc.nat(), { maxLength: 20 }), (response, damage, points) => {
      const wire = Buffer.from(encode(response).wire);
      for (const [at, byte] of damage) wire[at % wire.length] = byte;
      const refusedWhole = feedArbitrary([wire], 8192, false);
      const refusedSplit = feedArbitrary(split(wire, points), 8192, false);
      assert.equal(refusedSplit, refusedWhole);
      if (refusedWhole) return;
      // leftover aside: it counts the bytes of the last piece only.
      const whole = { ...feed([wire], { eof: true }), leftover: 0 };
      assert.deepEqual({ ...feed(split(wire, points), { eof: true }), leftover: 0 }, whole);
    }),
    { numRuns: 1000 },
  );
});
