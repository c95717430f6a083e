/**
 * The scale rows' floor (`node node-http-proxy.js <port> <origin port>…`): a bare reverse proxy on node's
 * own `http` server and client, nothing else. Each request goes to the next origin listener through a
 * keep-alive `http.Agent`, its body piped both ways (`pipe`, node's default 16 KiB high-water marks),
 * hop-by-hop headers dropped. No routing, limits, timeouts of its own, logging or metrics: what node's
 * HTTP layer costs per idle connection and per proxied byte, the floor under any gateway built on it.
 * Idle keep-alive connections stay open for 300 s (nginx's setting in these rows); node's other server
 * timeouts keep their defaults.
 */
import { Agent, createServer, type IncomingHttpHeaders, request } from 'node:http';

const port = Number(process.argv[2]);
const origins = process.argv.slice(3).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function forwarded(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!hopByHop.has(name)) kept[name] = value;
  return kept;
}

let next = 0;
const server = createServer({ keepAliveTimeout: 300_000 }, (req, res) => {
  const originPort = origins[next++ % origins.length];
  const upstream = request(
    {
      host: '127.0.0.1',
      port: originPort,
      method: req.method,
      path: req.url,
      headers: forwarded(req.headers),
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, forwarded(answer.headers));
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-length': '0' });
    res.end();
  });
  req.pipe(upstream);
});
server.listen({ port, host: '127.0.0.1', backlog: 4096 });
