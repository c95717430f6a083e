import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oneCore } from '../macro/layout.js';
import type { Origin } from '../macro/origin.js';
import type { Supervisor } from '../macro/processes.js';
import { swarmgateRunArgs } from '../macro/targets/swarmgate.js';
import { findExecutable, launchProxy, type RunningTarget } from '../macro/targets/target.js';
import { fdLimitArgs, scaleFdLimit } from './fd-limit.js';

/** What a scale gateway needs: the supervisor, the origin, a fresh directory for its files. */
export interface GatewayContext {
  supervisor: Supervisor;
  origin: Origin;
  dir: string;
  repoRoot: string;
}

const nginxTempPaths = (dir: string) =>
  ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`)
    .join('\n');

/**
 * nginx for the scale rows with as many workers as swarmgate gets (one, unless a row needs more file
 * descriptors than one process may hold): `http` is the rest of its `http` block (upstreams and
 * servers). It streams bodies both ways without temp files, as swarmgate does, and keeps idle client
 * connections longer than any row lasts.
 */
export function nginxConfig(dir: string, http: string, workers = 1): string {
  return `daemon off;
master_process on;
worker_processes ${workers};
worker_rlimit_nofile ${scaleFdLimit};
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections ${scaleFdLimit}; }
http {
  access_log off;
${nginxTempPaths(dir)}
  keepalive_timeout 300s;
  keepalive_requests 1000000;
  client_max_body_size 0;
  proxy_request_buffering off;
  proxy_max_temp_file_size 0;
  proxy_read_timeout 300s;
  proxy_send_timeout 300s;
  proxy_http_version 1.1;
  proxy_set_header Host $host;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
${http}
}
`;
}

/**
 * The rows' one-route config: `/` to the origin's listeners, `/ws` upgraded. With more than one worker
 * each gets its own listening socket (`reuseport`), so the kernel spreads connections evenly: without
 * it one busy worker may accept more than its file limit allows.
 */
export function nginxOneRoute(port: number, origin: Origin, workers = 1): string {
  return `  upstream origins {
${origin.ports.map((p) => `    server 127.0.0.1:${p};`).join('\n')}
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096${workers > 1 ? ' reuseport' : ''};
    location / {
      proxy_pass http://origins;
      proxy_set_header Connection "";
    }
    location = /ws {
      proxy_pass http://origins;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
    }
  }`;
}

/** Starts nginx with the config `configFor(port)` returns, pinned and with the raised fd limit. */
export async function startNginx(
  context: GatewayContext,
  configFor: (port: number) => string,
): Promise<RunningTarget & { conf: string }> {
  const nginx = findExecutable('nginx');
  if (!nginx) throw new Error('nginx is not installed');
  const conf = join(context.dir, 'nginx.conf');
  const running = await launchProxy({ ...context, layout: oneCore }, 'sh', async (port) => {
    await writeFile(conf, configFor(port));
    return fdLimitArgs(nginx, ['-e', join(context.dir, 'error.log'), '-p', context.dir, '-c', conf]);
  });
  return { ...running, conf };
}

/** Starts the bare node:http proxy (`node-http-proxy.ts`, the floor), pinned, with the raised fd limit. */
export function startNodeHttpProxy(context: GatewayContext): Promise<RunningTarget> {
  const script = fileURLToPath(new URL('./node-http-proxy.js', import.meta.url));
  return launchProxy({ ...context, layout: oneCore }, 'sh', (port) =>
    fdLimitArgs(process.execPath, [script, String(port), ...context.origin.ports.map(String)]),
  );
}

/** Starts `swarmgate run --table <table>` (`--workers` when more than one), pinned, with the raised fd limit. */
export async function startSwarmgate(
  context: GatewayContext,
  table: string,
  adminPort: number,
  workers = 1,
): Promise<RunningTarget> {
  const { dir, repoRoot } = context;
  return launchProxy({ ...context, layout: oneCore }, 'sh', async (port) =>
    fdLimitArgs(
      process.execPath,
      await swarmgateRunArgs({
        repoRoot,
        dir,
        table,
        port,
        adminPort,
        workers,
        // Every row's clients share 127.0.0.1, and 10,000 of them are over the default caps (512 per
        // address; the total is derived from the fd limit): the rows measure scale, not admission.
        extra: ['--max-connections', '0', '--max-connections-per-address', '0'],
      }),
    ),
  );
}
