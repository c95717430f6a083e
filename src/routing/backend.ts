import type { ServiceInfo } from '../discovery/snapshot.js';
import type { SnapshotIndex } from './snapshot-index.js';
import type { Backend } from './table.js';
import type { UpstreamTarget } from './upstream-target.js';
import { buildUpstreams } from './upstreams.js';

/** `<service name>:<mode>:<port>`, plus `@<network name>` in task mode. Routes of a service that reach it the same way share it. */
export function backendId(service: ServiceInfo, target: UpstreamTarget): string {
  const base = `${service.name}:${target.mode}:${target.port}`;
  return target.network === undefined ? base : `${base}@${target.network.name}`;
}

/** The backend a target describes, with its current upstreams. */
export function buildBackend(service: ServiceInfo, target: UpstreamTarget, index: SnapshotIndex): Backend {
  const id = backendId(service, target);
  const { mode, port } = target;
  const upstreams = buildUpstreams(target, service.id, index);
  return target.network === undefined
    ? { id, service: service.name, serviceId: service.id, mode, port, upstreams }
    : { id, service: service.name, serviceId: service.id, mode, port, network: target.network.id, upstreams };
}
