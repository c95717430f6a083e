import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findExecutable, launchProxy, originAddresses, type Target } from './target.js';

/** HAProxy: roundrobin, connection reuse, cookie-insert stickiness, `nbthread` = layout workers. */
export const haproxy: Target = {
  name: 'haproxy',
  sticky: true,
  config: 'balance roundrobin, http-reuse always, cookie SRV insert indirect nocache, forwardfor, no log',
  unavailable: () => (findExecutable('haproxy') ? undefined : 'haproxy is not installed'),
  start: (context) => {
    const { dir, layout, origin } = context;
    return launchProxy(context, findExecutable('haproxy')!, async (port) => {
      const conf = join(dir, 'haproxy.cfg');
      await writeFile(
        conf,
        `global
  nbthread ${layout.workers}
  maxconn 8000

defaults
  mode http
  option http-keep-alive
  option forwardfor
  http-reuse always
  timeout connect 5s
  timeout client 30s
  timeout server 30s

frontend bench
  bind 127.0.0.1:${port}
  default_backend origins

backend origins
  balance roundrobin
  cookie SRV insert indirect nocache
${originAddresses(origin)
  .map((address, i) => `  server o${i + 1} ${address} cookie o${i + 1}`)
  .join('\n')}
`,
      );
      return ['-db', '-f', conf];
    });
  },
};
