import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseParser } from '../../../../../src/dataplane/upstreams/http1/response-parser.js';
import { Recorder } from './parser-harness.js';

const OK = 'HTTP/1.1 200 OK\r\n';

function armed(maxHeadBytes = 8192, head = false) {
  const recorder = new Recorder();
  const parser = new ResponseParser(recorder, maxHeadBytes);
  parser.reset(head);
  return { recorder, parser };
}

function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

function reason(result: unknown): string | undefined {
  return typeof result === 'object' && result !== null ? (result as { reason: string }).reason : undefined;
}

test('finish before any byte, and after a complete response, is idle', () => {
  const { parser } = armed();
  assert.equal(parser.finish(), 'idle');
  assert.equal(parser.execute(bytes(`${OK}Content-Length: 0\r\n\r\n`)), 'done');
  assert.equal(parser.finish(), 'idle');
});

test('finish in the middle of a head or a length-delimited body is an incomplete response', () => {
  for (const input of ['H', `${OK}Content-Le`, `${OK}Content-Length: 3\r\n\r\nab`]) {
    const { parser, recorder } = armed();
    assert.equal(parser.execute(bytes(input)), 'more');
    assert.equal(reason(parser.finish()), 'incomplete response', input);
    assert.equal(recorder.ends, 0);
  }
});

test('finish ends a close-delimited body', () => {
  const { parser, recorder } = armed();
  assert.equal(parser.execute(bytes(`HTTP/1.0 200 OK\r\n\r\nfirst`)), 'more');
  assert.equal(parser.execute(bytes('second')), 'more');
  assert.equal(parser.keepAlive, false);
  assert.equal(recorder.ends, 0);
  assert.equal(parser.finish(), 'done');
  assert.equal(recorder.ends, 1);
  assert.equal(Buffer.concat(recorder.data).toString(), 'firstsecond');
  assert.equal(parser.leftover, 0);
});

test('started: set by the first byte of a response, cleared by reset', () => {
  const { parser } = armed();
  assert.equal(parser.started, false);
  assert.equal(parser.execute(Buffer.alloc(0)), 'more');
  assert.equal(parser.started, false);
  assert.equal(parser.execute(bytes('HTTP/1.1 100 Continue\r\n\r\n')), 'more');
  assert.equal(parser.started, true);
  parser.reset(false);
  assert.equal(parser.started, false);
  assert.equal(parser.finish(), 'idle');
});

test('keepAlive and the hint belong to the current response only', () => {
  const { parser } = armed();
  assert.equal(parser.keepAlive, false);
  parser.execute(bytes(`${OK}Keep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n`));
  assert.deepEqual([parser.keepAlive, parser.keepAliveHintMs], [true, 5000]);
  parser.reset(false);
  assert.deepEqual([parser.keepAlive, parser.keepAliveHintMs], [false, undefined]);
});

test('leftover counts the bytes after the response in the completing chunk', () => {
  const { parser } = armed();
  assert.equal(parser.execute(bytes(`${OK}Content-Length: 4\r\n\r\nab`)), 'more');
  assert.equal(parser.leftover, 0);
  assert.equal(parser.execute(bytes('cdHTTP/1.1')), 'done');
  assert.equal(parser.leftover, 8);
});

test('bytes after a completed response are refused until reset', () => {
  const { parser } = armed();
  assert.equal(parser.execute(bytes(`${OK}Content-Length: 0\r\n\r\n`)), 'done');
  assert.equal(parser.execute(Buffer.alloc(0)), 'done');
  assert.equal(reason(parser.execute(bytes('x'))), 'data after response');
});

test('the handler may reset the parser from onResponseEnd; leftover survives it', () => {
  const recorder = new Recorder();
  const parser = new ResponseParser(recorder, 1024);
  recorder.onResponseEnd = () => {
    recorder.ends++;
    parser.reset(true);
  };
  parser.reset(false);
  assert.equal(parser.execute(bytes(`${OK}Content-Length: 1\r\n\r\nxyz`)), 'done');
  assert.equal(parser.leftover, 2);
  assert.equal(parser.started, false);
  // The reset inside the callback armed it for a HEAD request.
  assert.equal(parser.execute(bytes(`${OK}Content-Length: 9\r\n\r\n`)), 'done');
  assert.equal(recorder.ends, 2);
});

test('one parser carries a series of responses on a keep-alive connection', () => {
  const { parser, recorder } = armed(16_384);
  const large = `${OK}X-Large: ${'l'.repeat(6000)}\r\nContent-Length: 1\r\n\r\n3`;
  const series = [
    [`${OK}Content-Length: 1\r\n\r\n1`],
    [`${OK}Transfer-Encoding: chunked\r\n\r\n1\r`, '\n2\r\n0\r\n\r\n'],
    // Split heads: the buffer gathering them grows, is dropped when large, and comes back.
    [large.slice(0, 3000), large.slice(3000)],
    [`${OK}Content-Len`, 'gth: 1\r\n', '\r\n4'],
  ];
  for (const pieces of series) {
    parser.reset(false);
    const results = pieces.map((piece) => parser.execute(bytes(piece)));
    assert.equal(results.at(-1), 'done');
    assert.equal(parser.keepAlive, true);
  }
  assert.equal(Buffer.concat(recorder.data).toString(), '1234');
  assert.deepEqual(
    recorder.heads.map((head) => head.headers[0]),
    ['Content-Length', 'Transfer-Encoding', 'X-Large', 'Content-Length'],
  );
});

test('a length-delimited body is passed on without copies', () => {
  const { parser, recorder } = armed();
  const head = bytes(`${OK}Content-Length: 10\r\n\r\n`);
  const first = Buffer.concat([head, bytes('abcd')]);
  const whole = bytes('efg');
  const last = bytes('hijEXTRA');
  parser.execute(first);
  parser.execute(whole);
  assert.equal(parser.execute(last), 'done');
  const [a, b, c] = recorder.data;
  assert.equal(a?.buffer, first.buffer);
  assert.equal(a?.byteOffset, first.byteOffset + head.length);
  assert.equal(b, whole);
  assert.equal(c?.buffer, last.buffer);
  assert.equal(c?.byteOffset, last.byteOffset);
  assert.equal(c?.toString(), 'hij');
});

test('chunk data is passed on without copies', () => {
  const { parser, recorder } = armed();
  const input = bytes(`${OK}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
  assert.equal(parser.execute(input), 'done');
  assert.equal(recorder.data.length, 1);
  assert.equal(recorder.data[0]?.buffer, input.buffer);
  assert.equal(recorder.data[0]?.byteOffset, input.byteOffset + input.indexOf('abc'));
  assert.equal(recorder.data[0]?.toString(), 'abc');
});
