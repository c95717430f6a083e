import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findExecutable, launchProxy, originAddresses, type Target } from './target.js';

/** nginx: round robin over a keepalive upstream block, no access log, `worker_processes` = layout workers. */
export const nginx: Target = {
  name: 'nginx',
  sticky: false,
  config: 'upstream round robin, keepalive 256, HTTP/1.1 upstream, X-Forwarded-For, no access log',
  unavailable: () => (findExecutable('nginx') ? undefined : 'nginx is not installed'),
  start: (context) => {
    const { dir, layout, origin } = context;
    return launchProxy(context, findExecutable('nginx')!, async (port) => {
      const conf = join(dir, 'nginx.conf');
      await writeFile(
        conf,
        `daemon off;
master_process on;
worker_processes ${layout.workers};
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream origins {
${originAddresses(origin)
  .map((address) => `    server ${address};`)
  .join('\n')}
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origins;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
      );
      return ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf];
    });
  },
};
