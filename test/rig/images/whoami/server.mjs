// whoami: the rig's test backend. Dependency-free; runs in the swarmgate-rig/whoami image.
//
// Every request is answered with JSON describing this task and the request it got:
//   {name, hostname, task: {id, slot, node}, ips, method, url, httpVersion, headers, bodyBytes}
// name is TASK_NAME or the hostname; task comes from TASK_ID, TASK_SLOT and TASK_NODE, which a
// service sets with templates ({{.Task.Name}}, {{.Task.ID}}, {{.Task.Slot}}, {{.Node.Hostname}}).
//   GET /health      200
//   /status/NNN      answers with status NNN
//   /delay/MS        waits MS milliseconds, then answers
//   GET /events/ID   a server-sent event stream: the head at once, then {"hello": name} as one event
//                    only when GET /release/ID reaches this task (so only once the client saw the head)
//   GET /release/ID  releases that event; answers {"released": true|false}
//   Upgrade: websocket (any path): sends {"hello": name} once, then echoes every message as is.
// Listens on PORT (default 80). SIGTERM closes the server and exits 0.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

const env = process.env;
const identity = {
  name: env.TASK_NAME || hostname(),
  hostname: hostname(),
  task: { id: env.TASK_ID ?? null, slot: env.TASK_SLOT ?? null, node: env.TASK_NODE ?? null },
  ips: Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a.address),
};

/** Event streams waiting for their release, by ID. */
const streams = new Map();

function openStream(id, req, res) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    'x-whoami-name': identity.name,
  });
  res.flushHeaders();
  streams.set(id, res);
  req.on('close', () => streams.delete(id));
}

function release(id, res) {
  const stream = streams.get(id);
  stream?.write(`data: ${JSON.stringify({ hello: identity.name })}\n\n`);
  res.writeHead(200, { 'content-type': 'application/json', 'x-whoami-name': identity.name });
  res.end(`${JSON.stringify({ released: stream !== undefined })}\n`);
}

const server = createServer((req, res) => {
  const [, stream, id] = /^\/(events|release)\/([\w-]+)$/.exec(req.url ?? '') ?? [];
  if (stream === 'events') return openStream(id, req, res);
  if (stream === 'release') return release(id, res);
  let bodyBytes = 0;
  req.on('data', (chunk) => {
    bodyBytes += chunk.length;
  });
  req.on('end', () => {
    const [, route, arg] = /^\/(status|delay)\/(\d+)/.exec(req.url ?? '') ?? [];
    const answer = () => {
      const status = route === 'status' ? Number(arg) : 200;
      const { method, url, httpVersion, headers } = req;
      const body = JSON.stringify({ ...identity, method, url, httpVersion, headers, bodyBytes });
      res.writeHead(status, { 'content-type': 'application/json', 'x-whoami-name': identity.name });
      res.end(status === 204 || status === 304 ? undefined : `${body}\n`);
    };
    if (route === 'delay') setTimeout(answer, Number(arg));
    else answer();
  });
});

// --- WebSocket echo (RFC 6455), just enough for tests ---
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_MESSAGE = 16 * 1024 * 1024;
const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };
const sockets = new Set();

/** A server frame: FIN set, never masked. */
function frame(opcode, payload) {
  const len = payload.length;
  const head = Buffer.alloc(len < 126 ? 2 : len < 65536 ? 4 : 10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** The first complete frame in buf (client frames are masked), or undefined if more bytes are needed. */
function parseFrame(buf) {
  if (buf.length < 2) return undefined;
  let len = buf[1] & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (buf[1] & 0x80) !== 0;
  const mask = masked ? buf.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (len > MAX_MESSAGE) return { fin: true, opcode: -1, payload: Buffer.alloc(0), size: buf.length };
  if (buf.length < offset + len) return undefined;
  const payload = Buffer.from(buf.subarray(offset, offset + len));
  if (mask) for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
  return { fin: (buf[0] & 0x80) !== 0, opcode: buf[0] & 0x0f, payload, size: offset + len };
}

function closeWith(socket, code) {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  socket.end(frame(OP.close, payload));
}

function echo(socket) {
  let pending = Buffer.alloc(0);
  let message = { opcode: 0, parts: [], bytes: 0 };
  const handle = ({ fin, opcode, payload }) => {
    if (opcode === OP.ping) return socket.write(frame(OP.pong, payload));
    if (opcode === OP.pong) return;
    if (opcode === OP.close) {
      // Echo the peer's status code back, as the closing handshake asks.
      return socket.end(frame(OP.close, payload.subarray(0, 2)));
    }
    if (opcode !== OP.text && opcode !== OP.binary && opcode !== OP.continuation)
      return closeWith(socket, 1002);
    if (opcode !== OP.continuation) message = { opcode, parts: [], bytes: 0 };
    message.parts.push(payload);
    message.bytes += payload.length;
    if (message.bytes > MAX_MESSAGE) return closeWith(socket, 1009);
    if (fin) socket.write(frame(message.opcode, Buffer.concat(message.parts)));
  };
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (let f = parseFrame(pending); f && !socket.writableEnded; f = parseFrame(pending)) {
      pending = pending.subarray(f.size);
      if (f.opcode === -1) closeWith(socket, 1009);
      else handle(f);
    }
  };
}

server.on('upgrade', (req, socket, head) => {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !key) {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    return;
  }
  const accept = createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`,
  );
  socket.setNoDelay(true);
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  socket.write(frame(OP.text, Buffer.from(JSON.stringify({ hello: identity.name }))));
  const onData = echo(socket);
  socket.on('data', onData);
  if (head.length > 0) onData(head);
});

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  for (const stream of streams.values()) stream.end();
  for (const socket of sockets) closeWith(socket, 1001);
  // Busy keep-alive clients must not hold the task past docker's stop grace period.
  setTimeout(() => process.exit(0), 5000).unref();
});

server.listen(Number(env.PORT ?? 80), () => {
  console.log(`whoami ${identity.name} listening on ${env.PORT ?? 80}`);
});
