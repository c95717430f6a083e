/**
 * A bare `node:http` server that answers every request itself (`node node-http-server.js <port>`): the
 * same small body as the origin, no proxying. It measures what node's HTTP server alone costs here,
 * the floor under any gateway built on it, per request and per new connection.
 */
import { createServer } from 'node:http';

const body = 'hello from the swarmgate bench origin\n';
const headers = [
  'content-type',
  'text/plain',
  'content-length',
  String(body.length),
  'x-origin',
  'node-http',
];

createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(process.argv[2]), '127.0.0.1');
