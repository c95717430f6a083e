import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ResponseParseError,
  ResponseParser,
} from '../../../../../src/dataplane/upstreams/http1/response-parser.js';
import { parse, Recorder, refusal } from './parser-harness.js';

const OK = 'HTTP/1.1 200 OK\r\n';
const EMPTY = 'Content-Length: 0\r\n\r\n';

describe('status line and header section', () => {
  const valid: { name: string; input: string; status: number; statusText: string; headers: string[] }[] = [
    { name: 'no fields', input: 'HTTP/1.1 200 OK\r\n\r\n', status: 200, statusText: 'OK', headers: [] },
    {
      name: 'HTTP/1.0',
      input: `HTTP/1.0 404 Not Found\r\n${EMPTY}`,
      status: 404,
      statusText: 'Not Found',
      headers: ['Content-Length', '0'],
    },
    { name: 'no reason phrase', input: `HTTP/1.1 204\r\n\r\n`, status: 204, statusText: '', headers: [] },
    { name: 'empty reason phrase', input: `HTTP/1.1 204 \r\n\r\n`, status: 204, statusText: '', headers: [] },
    {
      name: 'reason with HTAB and obs-text',
      input: `HTTP/1.1 204 Tr\tès bien\r\n\r\n`,
      status: 204,
      statusText: 'Tr\tès bien',
      headers: [],
    },
    {
      name: 'status outside 100..599',
      input: `HTTP/1.1 999 Odd\r\n${EMPTY}`,
      status: 999,
      statusText: 'Odd',
      headers: ['Content-Length', '0'],
    },
    {
      name: 'names keep their case, values lose surrounding OWS only',
      input: `${OK}X-Mixed-Case:  a  b \t\r\nx-empty:\r\nX-Blank: \t \r\nX-Latin: caf\xe9\r\n${EMPTY}`,
      status: 200,
      statusText: 'OK',
      headers: [
        'X-Mixed-Case',
        'a  b',
        'x-empty',
        '',
        'X-Blank',
        '',
        'X-Latin',
        'caf\xe9',
        'Content-Length',
        '0',
      ],
    },
    {
      name: 'token symbols in names, colons in values',
      input: `${OK}!#$%&'*+-.^_\`|~09: a:b\r\n${EMPTY}`,
      status: 200,
      statusText: 'OK',
      headers: ["!#$%&'*+-.^_`|~09", 'a:b', 'Content-Length', '0'],
    },
  ];
  for (const { name, input, status, statusText, headers } of valid) {
    test(`accepts ${name}`, () => {
      const outcome = parse(input, { eof: true });
      assert.deepEqual(outcome.heads, [{ status, statusText, headers }]);
      assert.equal(outcome.ends, 1);
    });
  }

  const invalid: { name: string; input: string; reason: string }[] = [
    { name: 'HTTP/2.0', input: `HTTP/2.0 200 OK\r\n${EMPTY}`, reason: 'invalid status line' },
    { name: 'HTTP/1.2', input: `HTTP/1.2 200 OK\r\n${EMPTY}`, reason: 'invalid status line' },
    { name: 'lowercase protocol', input: `http/1.1 200 OK\r\n${EMPTY}`, reason: 'invalid status line' },
    { name: 'two-digit status', input: `HTTP/1.1 20 OK\r\n${EMPTY}`, reason: 'invalid status line' },
    { name: 'four-digit status', input: `HTTP/1.1 2000 OK\r\n${EMPTY}`, reason: 'invalid status line' },
    { name: 'status below 100', input: `HTTP/1.1 099 Low\r\n${EMPTY}`, reason: 'invalid status line' },
    {
      name: 'two spaces before status',
      input: `HTTP/1.1  200 OK\r\n${EMPTY}`,
      reason: 'invalid status line',
    },
    { name: 'HTAB after status', input: `HTTP/1.1 200\tOK\r\n${EMPTY}`, reason: 'invalid status line' },
    { name: 'NUL in reason', input: `HTTP/1.1 200 O\0K\r\n${EMPTY}`, reason: 'invalid status line' },
    { name: 'leading empty line', input: `\r\nHTTP/1.1 200 OK\r\n${EMPTY}`, reason: 'invalid status line' },
    { name: 'bare LF after status line', input: `HTTP/1.1 200 OK\n${EMPTY}`, reason: 'invalid line ending' },
    { name: 'bare LF after status code', input: `HTTP/1.1 200\n${EMPTY}`, reason: 'invalid line ending' },
    { name: 'bare LF in fields', input: `${OK}A: b\nB: c\r\n${EMPTY}`, reason: 'invalid line ending' },
    {
      name: 'bare LF everywhere',
      input: 'HTTP/1.1 200 OK\nContent-Length: 0\n\n',
      reason: 'invalid line ending',
    },
    { name: 'bare CR in a value', input: `${OK}A: b\rc\r\n${EMPTY}`, reason: 'invalid line ending' },
    { name: 'bare CR after a value', input: `${OK}A: b\r\r\n${EMPTY}`, reason: 'invalid line ending' },
    { name: 'obs-fold with SP', input: `${OK}A: b\r\n c\r\n${EMPTY}`, reason: 'obsolete line folding' },
    { name: 'obs-fold with HTAB', input: `${OK}A: b\r\n\tc\r\n${EMPTY}`, reason: 'obsolete line folding' },
    {
      name: 'space before the first field',
      input: `${OK} A: b\r\n${EMPTY}`,
      reason: 'obsolete line folding',
    },
    {
      name: 'whitespace before colon',
      input: `${OK}Content-Length : 0\r\n\r\n`,
      reason: 'invalid header name',
    },
    { name: 'no colon', input: `${OK}Content-Length\r\n${EMPTY}`, reason: 'invalid header name' },
    { name: 'empty name', input: `${OK}: b\r\n${EMPTY}`, reason: 'invalid header name' },
    { name: 'non-token name', input: `${OK}A@b: c\r\n${EMPTY}`, reason: 'invalid header name' },
    { name: 'obs-text in name', input: `${OK}\xe9: c\r\n${EMPTY}`, reason: 'invalid header name' },
    { name: 'NUL in a value', input: `${OK}A: b\0c\r\n${EMPTY}`, reason: 'invalid header value' },
    { name: 'DEL in a value', input: `${OK}A: b\x7f\r\n${EMPTY}`, reason: 'invalid header value' },
    { name: 'ESC in a value', input: `${OK}A: \x1b[0m\r\n${EMPTY}`, reason: 'invalid header value' },
    {
      name: '101',
      input: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n',
      reason: 'unexpected protocol switch',
    },
  ];
  for (const { name, input, reason } of invalid) {
    test(`refuses ${name}`, () => {
      assert.equal(refusal(input), reason);
    });
  }

  test('the error is a ResponseParseError with a stable code, and the parser stays dead until reset', () => {
    const parser = new ResponseParser(new Recorder(), 1024);
    parser.reset(false);
    const error = parser.execute(Buffer.from(`HTTP/1.1 200 OK\r\nA : b\r\n${EMPTY}`));
    assert.ok(error instanceof ResponseParseError);
    assert.equal(error.code, 'SG_UPSTREAM_PROTOCOL');
    assert.equal(error.reason, 'invalid header name');
    assert.equal(parser.execute(Buffer.from(`${OK}${EMPTY}`)), error);
    assert.equal(parser.finish(), error);
    parser.reset(false);
    assert.equal(parser.execute(Buffer.from(`${OK}${EMPTY}`)), 'done');
  });
});

describe('head size limit', () => {
  const head = `${OK}X-Pad: ${'p'.repeat(40)}\r\n${EMPTY}`; // 85 bytes
  test('a head of exactly maxHeadBytes passes', () => {
    assert.equal(parse(head, { maxHeadBytes: head.length }).result, 'done');
  });
  test('a complete head one byte over is refused', () => {
    assert.equal(refusal(head, { maxHeadBytes: head.length - 1 }), 'head too large');
  });
  test('an incomplete head is refused as soon as it exceeds the limit', () => {
    assert.equal(refusal(`${OK}X-Pad: ${'p'.repeat(100)}`, { maxHeadBytes: 64 }), 'head too large');
  });
  test('each interim head has its own budget', () => {
    const interim = 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n';
    const input = `${interim}${interim}${OK}${EMPTY}`;
    assert.ok(input.length > 2 * interim.length);
    assert.equal(parse(input, { maxHeadBytes: interim.length }).result, 'done');
    assert.equal(refusal(input, { maxHeadBytes: interim.length - 1 }), 'head too large');
  });
});
