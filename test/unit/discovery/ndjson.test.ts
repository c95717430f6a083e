import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseNdjson } from '../../../src/discovery/ndjson.js';

async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
  yield bytes.subarray(start);
}

async function collect(source: AsyncIterable<unknown>): Promise<unknown[]> {
  const values: unknown[] = [];
  for await (const value of source) values.push(value);
  return values;
}

test('values come out whole however the bytes are cut, even inside a multi-byte character', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.jsonValue(), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      async (values, rawCuts) => {
        const expected = values.map((v) => JSON.parse(JSON.stringify(v)));
        const bytes = new TextEncoder().encode(values.map((v) => `${JSON.stringify(v)}\n`).join(''));
        const cuts = rawCuts.map((c) => c % (bytes.length + 1));
        assert.deepEqual(await collect(parseNdjson(chunked(bytes, cuts))), expected);
      },
    ),
  );
});

test('an event split in the middle of a UTF-8 character and of a line', async () => {
  const bytes = new TextEncoder().encode('{"Action":"update","name":"café"}\n{"Action":"remove"}\n');
  const inCafe = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
  assert.deepEqual(await collect(parseNdjson(chunked(bytes, [inCafe, inCafe + 10]))), [
    { Action: 'update', name: 'café' },
    { Action: 'remove' },
  ]);
});

test('blank lines, CRLF and a last line without newline', async () => {
  async function* text() {
    yield '\n{"a":1}\r\n\n  \n{"b":';
    yield '2}';
  }
  assert.deepEqual(await collect(parseNdjson(text())), [{ a: 1 }, { b: 2 }]);
});

test('a corrupt line throws a SyntaxError after the good lines before it', async () => {
  async function* text() {
    yield '{"a":1}\n{"b":\n{"c":3}\n';
  }
  const seen: unknown[] = [];
  await assert.rejects(async () => {
    for await (const value of parseNdjson(text())) seen.push(value);
  }, SyntaxError);
  assert.deepEqual(seen, [{ a: 1 }]);
});
