import diagnostics_channel from 'node:diagnostics_channel';
import type { ErrorCode } from '../../errors.js';

/** Message on {@link requestStartChannel}. */
export interface RequestStartEvent {
  method: string;
  host: string;
  url: string;
  /** Undefined when no route matched. */
  routeId: string | undefined;
}

/** Message on {@link requestEndChannel}: one per client request (or upgrade), however it ended. */
export interface RequestEndEvent {
  /** The client's address: the `X-Real-IP` the gateway forwarded (from a trusted proxy's headers), else the peer's. */
  client: string;
  /** The address of the TCP peer (a trusted proxy, or the client itself). */
  peer: string;
  method: string;
  host: string;
  url: string;
  routeId: string | undefined;
  /** The upstream of the last attempt; undefined when none was tried. */
  upstreamId: string | undefined;
  /** Status sent to the client (101 for a completed upgrade); 0 when the client went away first. */
  status: number;
  /** Undefined for a request refused before node parsed its head: nothing was timed. */
  durationMs: number | undefined;
  retries: number;
  /** Set when the request ended in an error (including the client going away). */
  errorCode: ErrorCode | undefined;
  upgrade: boolean;
}

/** Message on {@link upstreamRetryChannel}. */
export interface UpstreamRetryEvent {
  routeId: string;
  /** The upstream that failed. */
  upstreamId: string;
  errorCode: ErrorCode;
  /** The attempt about to start (2 = first retry). */
  attempt: number;
}

/** Message on {@link tableSwapChannel}. */
export interface TableSwapEvent {
  previousVersion: string | undefined;
  version: string;
  routes: number;
}

/** Message on {@link connectionRefusedChannel}. */
export interface ConnectionRefusedEvent {
  /** `total`: the process holds `maxConnections`; `per_address`: the peer's address holds its share. */
  reason: 'total' | 'per_address';
  /** The address (IPv6: the /64) that is full, for `per_address`. */
  address: string | undefined;
}

/** Published when a request starts, after routing. The hot path publishes only when someone listens. */
export const requestStartChannel = diagnostics_channel.channel('swarmgate:request:start');
/** Published when a request's response is complete or the request failed. */
export const requestEndChannel = diagnostics_channel.channel('swarmgate:request:end');
/** Published before a request is retried on another upstream. */
export const upstreamRetryChannel = diagnostics_channel.channel('swarmgate:upstream:retry');
/** Published after a new routing table was swapped in. */
export const tableSwapChannel = diagnostics_channel.channel('swarmgate:table:swap');
/** Published when a client connection is refused over a connection limit (and reset). */
export const connectionRefusedChannel = diagnostics_channel.channel('swarmgate:connection:refused');
