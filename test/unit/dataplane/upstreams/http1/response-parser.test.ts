import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResponseParser } from '../../../../../src/dataplane/upstreams/http1/response-parser.js';
import { feed, parse, Recorder, refusal } from './parser-harness.js';

const OK = 'HTTP/1.1 200 OK\r\n';
const EMPTY = 'Content-Length: 0\r\n\r\n';

describe('interim responses', () => {
  test('100 and 103 before the final response are skipped', () => {
    const input = `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n${OK}Content-Length: 2\r\n\r\nhi`;
    const outcome = parse(input);
    assert.deepEqual(outcome.heads, [{ status: 200, statusText: 'OK', headers: ['Content-Length', '2'] }]);
    assert.deepEqual(outcome.interim, [
      { status: 100, statusText: 'Continue', headers: [] },
      { status: 103, statusText: 'Early Hints', headers: ['Link', '</s.css>'] },
    ]);
    assert.equal(outcome.body, 'hi');
    assert.equal(outcome.result, 'done');
  });
  test('an interim head ending a read waits for the final one', () => {
    const outcome = feed(['HTTP/1.1 100 Continue\r\n\r\n']);
    assert.equal(outcome.result, 'more');
    assert.deepEqual(outcome.heads, []);
  });
  test('the framing fields of an interim response do not leak into the final one', () => {
    const input = `HTTP/1.1 103 Hints\r\nConnection: close\r\nKeep-Alive: timeout=1\r\n\r\n${OK}${EMPTY}`;
    const outcome = parse(input);
    assert.equal(outcome.keepAlive, true);
    assert.equal(outcome.keepAliveHintMs, undefined);
  });
  test('32 interim responses pass; a 33rd is an upstream stalling', () => {
    const interim = 'HTTP/1.1 102 Processing\r\n\r\n';
    assert.equal(parse(`${interim.repeat(32)}${OK}${EMPTY}`).result, 'done');
    assert.equal(refusal(`${interim.repeat(33)}${OK}${EMPTY}`), 'too many interim responses');
    // The count starts again with each response.
    const parser = new ResponseParser(new Recorder(), 1024);
    for (let i = 0; i < 2; i++) {
      parser.reset(false);
      assert.equal(parser.execute(Buffer.from(`${interim.repeat(32)}${OK}${EMPTY}`)), 'done');
    }
  });
  test('awaitingHead holds until the final head, interim ones aside', () => {
    const parser = new ResponseParser(new Recorder(), 1024);
    parser.reset(false);
    assert.equal(parser.awaitingHead, true);
    parser.execute(Buffer.from('HTTP/1.1 102 Processing\r\n\r\n'));
    assert.equal(parser.awaitingHead, true);
    parser.execute(Buffer.from(`${OK}Content-Length: 1\r\n\r\n`));
    assert.equal(parser.awaitingHead, false);
  });
  test('EOF after an interim response is an incomplete response', () => {
    assert.deepEqual(feed(['HTTP/1.1 100 Continue\r\n\r\n'], { eof: true }).result, {
      error: 'incomplete response',
    });
  });
});

describe('an answer that is not HTTP/1.x', () => {
  for (const [name, pieces] of [
    ['a Redis error line', ['-ERR unknown command\r\n']],
    ['HTTP/0.9 (a bare body)', ['<html>hello']],
    ['HTTP/2 in two reads', ['HTT', 'P/2 200\r\n']],
    ['after an interim response', ['HTTP/1.1 100 Continue\r\n\r\nSSH-2.0-OpenSSH\r\n']],
  ] as const) {
    test(`fails at once, without waiting for the end of a head: ${name}`, () => {
      assert.deepEqual(feed(pieces).result, { error: 'invalid status line' });
    });
  }
  test('a status line split after any byte still waits for the rest', () => {
    const head = `${OK}${EMPTY}`;
    for (let at = 1; at < 12; at++) {
      assert.equal(feed([head.slice(0, at)]).result, 'more', `split at ${at}`);
      assert.equal(feed([head.slice(0, at), head.slice(at)]).result, 'done', `split at ${at}`);
    }
  });
});

describe('framing and keep-alive', () => {
  const cases: {
    name: string;
    input: string;
    head?: boolean;
    body: string;
    keepAlive: boolean;
    leftover?: number;
  }[] = [
    { name: 'Content-Length', input: `${OK}Content-Length: 5\r\n\r\nhello`, body: 'hello', keepAlive: true },
    { name: 'Content-Length 0', input: `${OK}${EMPTY}`, body: '', keepAlive: true },
    { name: 'leading zeros', input: `${OK}Content-Length: 005\r\n\r\nhello`, body: 'hello', keepAlive: true },
    {
      name: 'a list of equal lengths',
      input: `${OK}Content-Length: 5 ,5\r\n\r\nhello`,
      body: 'hello',
      keepAlive: true,
    },
    {
      name: 'equal length fields',
      input: `${OK}content-length: 5\r\nCONTENT-LENGTH: 5\r\n\r\nhello`,
      body: 'hello',
      keepAlive: true,
    },
    {
      name: 'Connection: close',
      input: `${OK}Connection: close\r\nContent-Length: 1\r\n\r\nx`,
      body: 'x',
      keepAlive: false,
    },
    {
      name: 'close among tokens',
      input: `${OK}Connection: Keep-Alive, CLOSE\r\n${EMPTY}`,
      body: '',
      keepAlive: false,
    },
    {
      name: 'close in a second field',
      input: `${OK}Connection: upgrade\r\nconnection: close\r\n${EMPTY}`,
      body: '',
      keepAlive: false,
    },
    { name: 'HTTP/1.0 without keep-alive', input: `HTTP/1.0 200 OK\r\n${EMPTY}`, body: '', keepAlive: false },
    {
      name: 'HTTP/1.0 keep-alive',
      input: `HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n${EMPTY}`,
      body: '',
      keepAlive: true,
    },
    {
      name: 'HTTP/1.0 keep-alive and close',
      input: `HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n${EMPTY}`,
      body: '',
      keepAlive: false,
    },
    {
      name: 'chunked',
      input: `${OK}Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
      body: 'hi',
      keepAlive: true,
    },
    {
      name: 'chunked, any case',
      input: `${OK}transfer-encoding: ChUnKeD\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
      body: 'hi',
      keepAlive: true,
    },
    {
      name: 'gzip then chunked',
      input: `${OK}Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
      body: 'hi',
      keepAlive: true,
    },
    {
      name: 'codings over two fields',
      input: `${OK}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
      body: 'hi',
      keepAlive: true,
    },
    {
      name: 'chunked with Content-Length',
      input: `${OK}Content-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
      body: 'hi',
      keepAlive: false,
    },
    {
      name: 'chunked from HTTP/1.0',
      input: `HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
      body: 'hi',
      keepAlive: false,
    },
    // A body a faulty upstream sends after a HEAD answer, or after a 204/304 that announces one, could
    // arrive in a later read and pass for the next request's response: such connections are not reused.
    {
      name: 'HEAD with Content-Length',
      input: `${OK}Content-Length: 5\r\n\r\n`,
      head: true,
      body: '',
      keepAlive: false,
    },
    {
      name: 'HEAD with chunked',
      input: `${OK}Transfer-Encoding: chunked\r\n\r\n`,
      head: true,
      body: '',
      keepAlive: false,
    },
    { name: 'HEAD without length', input: `${OK}\r\n`, head: true, body: '', keepAlive: false },
    {
      name: '204 with Content-Length',
      input: 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello',
      body: '',
      keepAlive: false,
      leftover: 5,
    },
    {
      name: '204 with Content-Length 0',
      input: `HTTP/1.1 204 No Content\r\n${EMPTY}`,
      body: '',
      keepAlive: true,
    },
    {
      name: '304 with chunked',
      input: 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n',
      body: '',
      keepAlive: false,
    },
    {
      name: '304 with Content-Length',
      input: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n',
      body: '',
      keepAlive: true,
    },
    {
      name: 'bytes after the body',
      input: `${OK}Content-Length: 2\r\n\r\nhiHTTP`,
      body: 'hi',
      keepAlive: true,
      leftover: 4,
    },
    {
      name: 'bytes after the last chunk',
      input: `${OK}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n\r\n`,
      body: '',
      keepAlive: true,
      leftover: 2,
    },
  ];
  for (const { name, input, head, body, keepAlive, leftover } of cases) {
    test(name, () => {
      const outcome = feed([input], { head });
      assert.deepEqual([outcome.result, outcome.body, outcome.ends], ['done', body, 1]);
      assert.equal(outcome.keepAlive, keepAlive);
      assert.equal(outcome.leftover, leftover ?? 0);
      assert.equal(parse(input, { head }).body, body);
    });
  }

  const untilClose: { name: string; fields: string }[] = [
    { name: 'no length at all', fields: '' },
    { name: 'a final coding other than chunked', fields: 'Transfer-Encoding: chunked, gzip\r\n' },
    { name: 'gzip only, with Content-Length', fields: 'Transfer-Encoding: gzip\r\nContent-Length: 2\r\n' },
  ];
  for (const { name, fields } of untilClose) {
    test(`body until close: ${name}`, () => {
      const input = `${OK}${fields}\r\nsome\r\n0\r\n\r\nbytes`;
      assert.equal(feed([input]).result, 'more');
      const outcome = parse(input, { eof: true });
      assert.deepEqual([outcome.result, outcome.body, outcome.ends], ['done', 'some\r\n0\r\n\r\nbytes', 1]);
      assert.equal(outcome.keepAlive, false);
    });
  }

  const badLengths = [
    '',
    '+5',
    '-1',
    '5 5',
    '0x5',
    '1e3',
    '5.0',
    '9007199254740992',
    '5, 6',
    '5,,5',
    '5,',
    'five',
  ];
  for (const value of badLengths) {
    test(`refuses Content-Length ${JSON.stringify(value)}`, () => {
      assert.equal(refusal(`${OK}Content-Length: ${value}\r\n\r\n`), 'invalid content-length');
    });
  }
  test('accepts the largest safe Content-Length', () => {
    const outcome = feed([`${OK}Content-Length: 9007199254740991\r\n\r\nabc`]);
    assert.deepEqual([outcome.result, outcome.body], ['more', 'abc']);
  });
  // llhttp refuses such a length, and reads such a coding as not chunked (a body until close).
  test('refuses a framing field with an HTAB in its trailing whitespace', () => {
    for (const value of ['5\t', '5 \t', '5\t ']) {
      assert.equal(refusal(`${OK}Content-Length: ${value}\r\n\r\nhello`), 'invalid content-length');
    }
    for (const value of ['chunked\t', 'chunked \t']) {
      assert.equal(refusal(`${OK}Transfer-Encoding: ${value}\r\n\r\n0\r\n\r\n`), 'invalid transfer-encoding');
    }
    assert.equal(parse(`${OK}Content-Length:\t5 \r\n\r\nhello`).body, 'hello');
    assert.equal(parse(`${OK}Transfer-Encoding:\tgzip,\tchunked \r\n\r\n0\r\n\r\n`).result, 'done');
  });
  test('refuses Content-Length fields that disagree', () => {
    assert.equal(refusal(`${OK}Content-Length: 5\r\nContent-Length: 6\r\n\r\n`), 'invalid content-length');
  });
  // An empty element: llhttp reads `chunked,` as a body until close, RFC 9110 §5.6.1 as chunked.
  for (const value of [
    '',
    ' , ',
    'chunked, chunked',
    'chunked, gzip, CHUNKED',
    'chunked,',
    ', chunked',
    'gzip,,chunked',
  ]) {
    test(`refuses Transfer-Encoding ${JSON.stringify(value)}`, () => {
      assert.equal(refusal(`${OK}Transfer-Encoding: ${value}\r\n\r\n`), 'invalid transfer-encoding');
    });
  }
});

describe('Keep-Alive hint', () => {
  const cases: [string, number | undefined][] = [
    ['timeout=5', 5000],
    ['timeout=5, max=100', 5000],
    ['max=100,Timeout=30', 30000],
    ['timeout=0', 0],
    ['timeout=abc', undefined],
    ['timeout=', undefined],
    ['timeout=-1', undefined],
    ['timeout = 5', undefined],
    ['max=5', undefined],
  ];
  for (const [value, hint] of cases) {
    test(`Keep-Alive: ${value}`, () => {
      assert.equal(parse(`${OK}Keep-Alive: ${value}\r\n${EMPTY}`).keepAliveHintMs, hint);
    });
  }
  test('absent', () => {
    assert.equal(parse(`${OK}${EMPTY}`).keepAliveHintMs, undefined);
  });
});
