import type { NetworkInfo, PortSpec, ServiceInfo } from '../discovery/snapshot.js';
import { type Label, type Reporter, unsetLabel } from './diagnostics.js';
import { labelFor } from './labels/keys.js';
import type { RouteSettings } from './route-settings.js';
import type { SnapshotIndex } from './snapshot-index.js';
import type { UpstreamMode } from './table.js';

/** How a route reaches its service: the upstream mode and what that mode needs. */
export interface UpstreamTarget {
  mode: UpstreamMode;
  /** The container (target) port. */
  port: number;
  /** Task mode: the network whose task addresses are used. */
  network?: NetworkInfo;
  /** Mesh mode: the port the routing mesh publishes on every node. */
  meshPort?: number;
}

/**
 * Chooses the port and upstream mode of a route. The default mode is `task` when the service shares a
 * network with the gateway, else `hostport` when it publishes the port in host mode, else `mesh` when
 * it publishes the port on the routing mesh. Reports an error and returns undefined when nothing fits.
 */
export function selectUpstreamTarget(
  service: ServiceInfo,
  route: RouteSettings,
  index: SnapshotIndex,
  report: Reporter,
): UpstreamTarget | undefined {
  const port = route.port ?? defaultPort(service, route, report);
  if (port === undefined) return undefined;
  let candidates = index.taskNetworks(service);
  if (route.network !== undefined) {
    const chosen = resolveNetworkLabel(service, route.network, route.id, index, report);
    if (chosen === undefined) return undefined;
    candidates = [chosen];
  }
  const shared = candidates.filter((n) => index.gatewayNetworks.has(n.id));
  const hostPublished = publishedTcp(service, 'host', port) !== undefined;
  const meshPort = publishedTcp(service, 'ingress', port)?.publishedPort;

  const mode =
    route.upstream ??
    (shared.length > 0 ? 'task' : hostPublished ? 'hostport' : meshPort ? 'mesh' : undefined);
  switch (mode) {
    case 'task': {
      if (shared.length === 0)
        return noUpstreamMode(
          route,
          report,
          `upstream \`task\` needs a network shared with this gateway, but ${networksNote(candidates, index)}`,
        );
      if (shared.length > 1) {
        const key = labelFor(route.name, 'network');
        report.error(
          'SG_ERR_LABEL_MISSING',
          unsetLabel(key),
          `route ${route.id}: the service shares several networks with this gateway (${names(shared)}); set ${key} to the one to reach tasks on`,
          route.id,
        );
        return undefined;
      }
      return { mode, port, network: shared[0]! };
    }
    case 'hostport':
      if (!hostPublished)
        return noUpstreamMode(
          route,
          report,
          `upstream \`hostport\` needs port ${port} published in host mode (ports: - target: ${port}, mode: host)`,
        );
      return { mode, port };
    case 'mesh':
      if (meshPort === undefined)
        return noUpstreamMode(
          route,
          report,
          `upstream \`mesh\` needs port ${port} published on the routing mesh (ports: - target: ${port}, published: <port>)`,
        );
      return { mode, port, meshPort };
    case undefined:
      return noUpstreamMode(
        route,
        report,
        `no way to reach port ${port}: no shared network (${networksNote(candidates, index)}), and the port is published neither in host mode nor on the routing mesh`,
      );
  }
}

function noUpstreamMode(route: RouteSettings, report: Reporter, message: string): undefined {
  const label = route.labels.get('upstream') ?? unsetLabel(labelFor(route.name, 'upstream'));
  report.error('SG_ERR_NO_UPSTREAM_MODE', label, `route ${route.id}: ${message}`, route.id);
  return undefined;
}

function networksNote(candidates: readonly NetworkInfo[], index: SnapshotIndex): string {
  const gateway = [...index.gatewayNetworks].flatMap((id) => index.networks.get(id) ?? []);
  return `the service is on ${names(candidates)}, this gateway on ${names(gateway)}`;
}

/** The service's TCP port spec for `targetPort` published in `publishMode`, if any. */
function publishedTcp(
  service: ServiceInfo,
  publishMode: PortSpec['publishMode'],
  targetPort: number,
): PortSpec | undefined {
  return service.ports.find(
    (p) => p.protocol === 'tcp' && p.publishMode === publishMode && p.targetPort === targetPort,
  );
}

/** The only TCP target port the service publishes; anything else needs an explicit `port` label. */
function defaultPort(service: ServiceInfo, route: RouteSettings, report: Reporter): number | undefined {
  const candidates: number[] = [];
  for (const p of service.ports) {
    if (p.protocol === 'tcp' && !candidates.includes(p.targetPort)) candidates.push(p.targetPort);
  }
  if (candidates.length === 1) return candidates[0];
  candidates.sort((a, b) => a - b);
  const key = labelFor(route.name, 'port');
  const why =
    candidates.length === 0
      ? `the service publishes no port, so set ${key} to the container port to reach`
      : `the service publishes several ports (${candidates.join(', ')}), so set ${key} to one of them`;
  report.error('SG_ERR_LABEL_MISSING', unsetLabel(key), `route ${route.id}: ${why}`, route.id);
  return undefined;
}

/**
 * The network a `network` label names among the service's networks: by id, by name, or by the short
 * name inside the service's stack (`backend` for `shop_backend`). Undefined after reporting an error.
 */
function resolveNetworkLabel(
  service: ServiceInfo,
  label: Label,
  routeId: string,
  index: SnapshotIndex,
  report: Reporter,
): NetworkInfo | undefined {
  const wanted = label.value.trim();
  const attached = service.networks.flatMap((id) => index.networks.get(id) ?? []);
  const named = (name: string) => attached.filter((n) => n.name === name);
  const stackName = service.stack === undefined ? undefined : `${service.stack}_${wanted}`;
  const matches =
    [
      attached.filter((n) => n.id === wanted),
      named(wanted),
      stackName === undefined ? [] : named(stackName),
    ].find((m) => m.length > 0) ?? [];
  const fail = (why: string): undefined => {
    report.error(
      'SG_ERR_LABEL_INVALID',
      label,
      `${label.key} must name ${why}; route ${routeId} is not served`,
      routeId,
    );
    return undefined;
  };
  const usable = index.taskNetworks(service);
  if (matches.length > 1)
    return fail(`one network, but several are called \`${wanted}\`: use the network id`);
  const network = matches[0];
  if (network === undefined) return fail(`a network the service is attached to (${names(usable)})`);
  if (network.ingress)
    return fail(`an overlay network other than the routing mesh's ingress network (${names(usable)})`);
  return network;
}

function names(networks: readonly NetworkInfo[]): string {
  return networks.length === 0
    ? 'no network'
    : networks
        .map((n) => n.name)
        .sort()
        .join(', ');
}
