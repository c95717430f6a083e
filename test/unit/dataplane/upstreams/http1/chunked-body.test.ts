import assert from 'node:assert/strict';
import { test } from 'node:test';
import { feed, parse, refusal } from './parser-harness.js';

const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';

const valid: { name: string; body: string; decoded: string }[] = [
  { name: 'one chunk', body: '5\r\nhello\r\n0\r\n\r\n', decoded: 'hello' },
  { name: 'no chunk at all', body: '0\r\n\r\n', decoded: '' },
  { name: 'several chunks', body: '1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n', decoded: 'abcdef' },
  {
    name: 'hex sizes in any case',
    body: `a\r\n${'x'.repeat(10)}\r\nB\r\n${'y'.repeat(11)}\r\n0\r\n\r\n`,
    decoded: `${'x'.repeat(10)}${'y'.repeat(11)}`,
  },
  { name: 'leading zeros', body: '0005\r\nhello\r\n000\r\n\r\n', decoded: 'hello' },
  { name: 'fifteen hex digits', body: '000000000000002\r\nhi\r\n0\r\n\r\n', decoded: 'hi' },
  { name: 'CRLF inside the data', body: '4\r\n\r\n\r\n\r\n0\r\n\r\n', decoded: '\r\n\r\n' },
  { name: 'extensions', body: '5;a=b;c="d e"\r\nhello\r\n0;last\r\n\r\n', decoded: 'hello' },
  { name: 'obs-text in a quoted extension', body: '5;n="\xe9"\r\nhello\r\n0\r\n\r\n', decoded: 'hello' },
  {
    name: 'quoted pairs in an extension',
    body: '5;n="\\"a\\\\";m=1\r\nhello\r\n0\r\n\r\n',
    decoded: 'hello',
  },
  { name: 'trailer fields', body: '2\r\nhi\r\n0\r\nX-Checksum: abc\r\nx-empty:\r\n\r\n', decoded: 'hi' },
  { name: 'an extension of 4000 bytes', body: `2;${'e'.repeat(4000)}\r\nhi\r\n0\r\n\r\n`, decoded: 'hi' },
];
for (const { name, body, decoded } of valid) {
  test(`decodes ${name}`, () => {
    const outcome = parse(CHUNKED + body);
    assert.deepEqual([outcome.result, outcome.body, outcome.ends, outcome.leftover], ['done', decoded, 1, 0]);
  });
}

const invalid: { name: string; body: string; reason: string }[] = [
  { name: 'a missing size', body: '\r\nhello\r\n0\r\n\r\n', reason: 'invalid chunk size' },
  { name: 'a non-hex size', body: 'g\r\n', reason: 'invalid chunk size' },
  { name: 'a 0x prefix', body: '0x5\r\nhello\r\n', reason: 'invalid chunk size' },
  { name: 'a sign', body: '+5\r\nhello\r\n', reason: 'invalid chunk size' },
  { name: 'a space before the size', body: ' 5\r\nhello\r\n', reason: 'invalid chunk size' },
  { name: 'trailing whitespace without extension', body: '5 \r\nhello\r\n', reason: 'invalid chunk size' },
  { name: 'sixteen hex digits', body: '0000000000000002\r\nhi\r\n', reason: 'invalid chunk size' },
  { name: 'a size beyond a safe integer', body: '20000000000000\r\n', reason: 'invalid chunk size' },
  { name: 'a bare LF after the size', body: '5\nhello\r\n0\r\n\r\n', reason: 'invalid line ending' },
  { name: 'a bare CR after the size', body: '5\rhello\r\n0\r\n\r\n', reason: 'invalid line ending' },
  { name: 'more data than the size', body: '5\r\nhello!\r\n0\r\n\r\n', reason: 'invalid chunk data end' },
  { name: 'a bare LF after the data', body: '5\r\nhello\n0\r\n\r\n', reason: 'invalid chunk data end' },
  { name: 'a CR CR after the data', body: '5\r\nhello\r\r0\r\n\r\n', reason: 'invalid chunk data end' },
  { name: 'a control in an extension', body: '5;a=\x01\r\nhello\r\n', reason: 'invalid chunk extension' },
  { name: 'a bare LF in an extension', body: '5;a\nhello\r\n', reason: 'invalid line ending' },
  // RFC 9112 §7.1.1 allows BWS around `;` and `=`; llhttp refuses it, and so does swarmgate.
  { name: 'BWS before an extension', body: '5 ;a\r\nhello\r\n', reason: 'invalid chunk size' },
  { name: 'BWS around "="', body: '5;a = b\r\nhello\r\n', reason: 'invalid chunk extension' },
  { name: 'a space in an unquoted value', body: '5;a=b c\r\nhello\r\n', reason: 'invalid chunk extension' },
  { name: 'an extension without a name', body: '5;=b\r\nhello\r\n', reason: 'invalid chunk extension' },
  { name: 'an empty extension', body: '5;\r\nhello\r\n', reason: 'invalid chunk extension' },
  { name: 'an empty value', body: '5;a=\r\nhello\r\n', reason: 'invalid chunk extension' },
  { name: 'obs-text in an unquoted value', body: '5;a=\xe9\r\nhello\r\n', reason: 'invalid chunk extension' },
  { name: 'an unterminated quoted value', body: '5;a="b\r\nhello\r\n', reason: 'invalid chunk extension' },
  { name: 'bytes after a quoted value', body: '5;a="b"c\r\nhello\r\n', reason: 'invalid chunk extension' },
  {
    name: 'an extension over 4 KiB',
    body: `5;${'e'.repeat(4096)}\r\nhello\r\n`,
    reason: 'chunk extension too long',
  },
  { name: 'an obs-folded trailer', body: '0\r\nX: a\r\n b\r\n\r\n', reason: 'obsolete line folding' },
  { name: 'a trailer without colon', body: '0\r\nX-Trailer\r\n\r\n', reason: 'invalid trailer' },
  { name: 'whitespace before a trailer colon', body: '0\r\nX : a\r\n\r\n', reason: 'invalid trailer' },
  { name: 'a control in a trailer value', body: '0\r\nX: \x7f\r\n\r\n', reason: 'invalid trailer' },
  { name: 'a bare LF after a trailer', body: '0\r\nX: a\n\r\n', reason: 'invalid line ending' },
  { name: 'a bare LF ending the trailers', body: '0\r\n\n', reason: 'invalid line ending' },
  { name: 'a CR not followed by LF at the end', body: '0\r\n\rX', reason: 'invalid line ending' },
];
for (const { name, body, reason } of invalid) {
  test(`refuses ${name}`, () => {
    assert.equal(refusal(CHUNKED + body), reason);
  });
}

test('trailers are bounded by maxHeadBytes', () => {
  const trailers = `X-A: ${'a'.repeat(40)}\r\nX-B: ${'b'.repeat(40)}\r\n\r\n`; // 94 bytes
  const input = `${CHUNKED}2\r\nhi\r\n0\r\n${trailers}`;
  assert.ok(CHUNKED.length < trailers.length);
  assert.equal(parse(input, { maxHeadBytes: trailers.length }).result, 'done');
  assert.equal(refusal(input, { maxHeadBytes: trailers.length - 1 }), 'trailers too large');
});

test('a body cut short is an incomplete response at EOF', () => {
  for (const body of ['5\r\nhel', '5\r\nhello\r\n', '0\r\n', '0\r\nX: a\r\n', '5;ext']) {
    const outcome = feed([CHUNKED + body], { eof: true });
    assert.deepEqual(outcome.result, { error: 'incomplete response' }, body);
  }
});
