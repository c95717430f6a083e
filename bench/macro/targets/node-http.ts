import { fileURLToPath } from 'node:url';
import { launchProxy, type Target } from './target.js';

/** A bare node:http server on the proxy's CPUs answering by itself: the floor for node-based gateways. */
export const nodeHttp: Target = {
  name: 'node-http',
  sticky: false,
  answersItself: true,
  config: 'no proxy: a bare node:http server answering itself (the floor under any node:http gateway)',
  unavailable: () => undefined,
  start: (context) => {
    const script = fileURLToPath(new URL('../node-http-server.js', import.meta.url));
    return launchProxy(context, process.execPath, (port) => [script, String(port)]);
  },
};
