import assert from 'node:assert/strict';
import { request } from 'node:http';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { endOfTurnWrites } from '../../../src/dataplane/end-of-turn-writes.js';
import { startServer, waitFor } from './upstreams/servers.js';

test('a corked socket holds its writes until the end of the turn, then sends them', async (t) => {
  const received: string[] = [];
  const server = createServer((peer) => peer.on('data', (chunk) => received.push(chunk.toString())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  t.after(() => {
    socket.destroy();
    server.close();
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  endOfTurnWrites.cork(socket);
  socket.write('one,');
  socket.write('two');
  assert.equal(socket.writableLength, 7, 'held in the socket while the turn runs');
  await nextTurn();
  assert.equal(socket.writableLength, 0, 'flushed at the end of the turn');
  await waitFor(() => received.join('') === 'one,two', 'the peer to receive both writes');
});

test('a response ended at the end of the turn gets its last piece; one whose client left is skipped', async (t) => {
  const server = await startServer(t, (req, res) => {
    res.writeHead(200, ['content-length', '4']);
    if (req.url === '/gone') res.destroy();
    endOfTurnWrites.end(res, Buffer.from('done'));
  });
  const body = await new Promise<string>((resolve, reject) => {
    request({ port: server.port, host: '127.0.0.1', path: '/' }, (res) => {
      let text = '';
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
  assert.equal(body, 'done');
  const gone = await new Promise<string>((resolve) => {
    request({ port: server.port, host: '127.0.0.1', path: '/gone' }, () => resolve('answered'))
      .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
      .end();
  });
  assert.equal(gone, 'ECONNRESET');
});
