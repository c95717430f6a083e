import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findExecutable, launchProxy, originAddresses, type Target } from './target.js';

/** Caddy: reverse_proxy with the cookie lb_policy (HMAC-signed), `GOMAXPROCS` = layout workers. */
export const caddy: Target = {
  name: 'caddy',
  sticky: true,
  config: 'reverse_proxy, lb_policy cookie (HMAC secret), 256 idle upstream conns per host, no access log',
  unavailable: () =>
    findExecutable('caddy') ? undefined : 'caddy is not installed (no Debian package here)',
  start: (context) => {
    const { dir, layout, origin } = context;
    const env = {
      ...process.env,
      GOMAXPROCS: String(layout.workers),
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
    };
    return launchProxy(
      context,
      findExecutable('caddy')!,
      async (port) => {
        const conf = join(dir, 'Caddyfile');
        await writeFile(
          conf,
          `{
	admin off
	auto_https off
}

:${port} {
	bind 127.0.0.1
	reverse_proxy ${originAddresses(origin).join(' ')} {
		lb_policy cookie sg_caddy ${randomBytes(16).toString('hex')}
		transport http {
			keepalive_idle_conns_per_host 256
		}
	}
}
`,
        );
        return ['run', '--config', conf, '--adapter', 'caddyfile'];
      },
      env,
    );
  },
};
