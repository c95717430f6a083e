import diagnostics_channel from 'node:diagnostics_channel';

/** Message on {@link upstreamHealthChannel}. */
export interface UpstreamHealthEvent {
  id: string;
  address: string;
  healthy: boolean;
  /** `removed`: a probe found an upstream that left the table unreachable (see `RegisteredUpstream.retire`). */
  source: 'passive' | 'active' | 'removed';
  /** Failure kind (`connect`, `reset`, `timeout`), HTTP status, error code or `success`. */
  reason: string;
  /** With source `removed`: the requests awaiting its response that were ended. */
  ended?: number;
}

/**
 * Published when an upstream's passive or active health flips. Observability subscribes; the data path
 * never imports it.
 *
 * @example
 * upstreamHealthChannel.subscribe((m) => log.warn(m as UpstreamHealthEvent, 'upstream health changed'));
 */
export const upstreamHealthChannel = diagnostics_channel.channel('swarmgate:upstream:health');

export function publishHealth(
  upstream: { id: string; address: string },
  healthy: boolean,
  source: UpstreamHealthEvent['source'],
  reason: string,
  ended?: number,
): void {
  if (!upstreamHealthChannel.hasSubscribers) return;
  const event: UpstreamHealthEvent = { id: upstream.id, address: upstream.address, healthy, source, reason };
  if (ended !== undefined) event.ended = ended;
  upstreamHealthChannel.publish(event);
}
