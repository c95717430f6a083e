import type { Logger } from 'pino';
import {
  type RequestEndEvent,
  requestEndChannel,
  type TableSwapEvent,
  tableSwapChannel,
} from '../dataplane/http/diagnostics.js';
import { type UpstreamHealthEvent, upstreamHealthChannel } from '../dataplane/upstreams/health-channel.js';

export interface EventLogOptions {
  /**
   * One line per request (off by default: the data path publishes only while someone listens), at
   * level info whatever the logger's level: `--log-level warn` quiets the event log, not the access log
   * the operator asked for.
   */
  accessLog: boolean;
}

/**
 * Turns the data plane's diagnostics-channel events into log lines: upstream health flips, table
 * swaps and, when asked, an access log. Returns a function that unsubscribes.
 *
 * @example
 * const detach = attachEventLog(logger, { accessLog: true });
 */
export function attachEventLog(logger: Logger, options: EventLogOptions): () => void {
  const onHealth = (message: unknown) => {
    const m = message as UpstreamHealthEvent;
    const line = { upstream: m.id, address: m.address, source: m.source, reason: m.reason };
    if (m.source === 'removed') {
      logger.warn(
        { ...line, ended: m.ended },
        'removed upstream does not answer: requests awaiting it ended',
      );
    } else if (m.healthy) logger.info(line, 'upstream is healthy again');
    else logger.warn(line, 'upstream marked down');
  };
  const onSwap = (message: unknown) => {
    const m = message as TableSwapEvent;
    logger.debug(
      { version: m.version, previous: m.previousVersion ?? null, routes: m.routes },
      'table swapped in',
    );
  };
  const access = logger.isLevelEnabled('info') ? logger : logger.child({}, { level: 'info' });
  const onRequest = (message: unknown) => {
    const m = message as RequestEndEvent;
    access.info(
      {
        client: m.client,
        ...(m.peer !== m.client ? { peer: m.peer } : {}),
        method: m.method,
        host: m.host,
        url: m.url,
        status: m.status,
        ms: m.durationMs === undefined ? undefined : Math.round(m.durationMs * 10) / 10,
        route: m.routeId ?? null,
        upstream: m.upstreamId ?? null,
        retries: m.retries,
        ...(m.errorCode ? { code: m.errorCode } : {}),
        ...(m.upgrade ? { upgrade: true } : {}),
      },
      'request',
    );
  };
  upstreamHealthChannel.subscribe(onHealth);
  tableSwapChannel.subscribe(onSwap);
  if (options.accessLog) requestEndChannel.subscribe(onRequest);
  return () => {
    upstreamHealthChannel.unsubscribe(onHealth);
    tableSwapChannel.unsubscribe(onSwap);
    if (options.accessLog) requestEndChannel.unsubscribe(onRequest);
  };
}
