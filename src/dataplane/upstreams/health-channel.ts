import diagnostics_channel from 'node:diagnostics_channel';

/** Message on {@link upstreamHealthChannel}. */
export interface UpstreamHealthEvent {
  id: string;
  address: string;
  healthy: boolean;
  source: 'passive' | 'active';
  /** Failure kind (`connect`, `reset`, `timeout`), HTTP status, error code or `success`. */
  reason: string;
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
): void {
  if (!upstreamHealthChannel.hasSubscribers) return;
  const event: UpstreamHealthEvent = { id: upstream.id, address: upstream.address, healthy, source, reason };
  upstreamHealthChannel.publish(event);
}
