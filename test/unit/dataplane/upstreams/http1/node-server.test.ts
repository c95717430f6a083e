import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { ResponseParser } from '../../../../../src/dataplane/upstreams/http1/response-parser.js';
import { Recorder } from './parser-harness.js';

/**
 * Writes `request` and feeds what comes back to `parser` until it ends the response (or EOF does);
 * resolves to the bytes received, as latin1.
 */
function exchange(socket: Socket, parser: ResponseParser, request: string, head = false): Promise<string> {
  parser.reset(head);
  const received: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const settle = (result: unknown) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      if (result === 'done') resolve(Buffer.concat(received).toString('latin1'));
      else reject(result instanceof Error ? result : new Error(String(result)));
    };
    const onData = (chunk: Buffer) => {
      received.push(chunk);
      const result = parser.execute(chunk);
      if (result !== 'more') settle(result);
    };
    const onEnd = () => settle(parser.finish());
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.write(request);
  });
}

test('parses what a real node:http server sends over one keep-alive connection', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/chunked') {
      res.write('first,');
      setImmediate(() => res.end('second'));
    } else {
      res.setHeader('Content-Length', 5);
      res.end(req.method === 'HEAD' ? undefined : 'fixed');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const recorder = new Recorder();
  const parser = new ResponseParser(recorder, 16_384);

  assert.match(
    await exchange(socket, parser, 'GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n'),
    /\r\nTransfer-Encoding: chunked\r\n/,
  );
  assert.equal(Buffer.concat(recorder.data.splice(0)).toString(), 'first,second');
  assert.deepEqual([parser.keepAlive, parser.keepAliveHintMs, parser.leftover], [true, 5000, 0]);

  await exchange(socket, parser, 'HEAD /fixed HTTP/1.1\r\nHost: x\r\n\r\n', true);
  assert.deepEqual(recorder.data, []);

  const expect = 'POST /fixed HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n';
  assert.match(
    await exchange(socket, parser, expect),
    /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/,
  );
  assert.equal(Buffer.concat(recorder.data.splice(0)).toString(), 'fixed');

  // An HTTP/1.0 request gets a body delimited by the close.
  await exchange(socket, parser, 'GET /chunked HTTP/1.0\r\nHost: x\r\n\r\n');
  assert.equal(Buffer.concat(recorder.data.splice(0)).toString(), 'first,second');
  assert.equal(parser.keepAlive, false);

  assert.deepEqual(
    recorder.heads.map((head) => head.status),
    [200, 200, 200, 200],
  );
  assert.equal(recorder.ends, 4);
});
