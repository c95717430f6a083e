import { z } from 'zod';

/** Zod schemas of the Engine API payload fields discovery reads; see `snapshotFromEngine`. */

// The schemas check only the subset of fields routing needs. A bad optional field falls back to
// "absent"; a bad required field (id, name, ...) makes the whole entry invalid, and it is skipped.

/** An array whose malformed items are dropped, so one odd item never discards its parent. */
function lenientArray<T extends z.ZodType>(item: T) {
  return z
    .array(z.unknown())
    .catch([])
    .transform((items) =>
      items.flatMap((raw) => {
        const parsed = item.safeParse(raw);
        return parsed.success ? [parsed.data as z.output<T>] : [];
      }),
    );
}

const optionalString = z.string().optional().catch(undefined);
const labels = z
  .record(z.string(), z.unknown())
  .catch({})
  .transform((record) => sortedStringRecord(record));
const port = z.number().int().min(1).max(65535);

export const enginePort = z.object({
  Protocol: z.enum(['tcp', 'udp', 'sctp']).default('tcp'),
  TargetPort: port,
  PublishedPort: z.number().int().optional().catch(undefined),
  PublishMode: z.enum(['ingress', 'host']).default('ingress'),
});
export type EnginePort = z.output<typeof enginePort>;

const networkTarget = z.object({ Target: z.string().min(1) });

export const engineService = z.object({
  ID: z.string().min(1),
  Spec: z.object({
    Name: z.string().min(1),
    Labels: labels,
    Mode: z
      .object({
        Replicated: z.object({ Replicas: z.number().int().min(0).optional().catch(undefined) }).optional(),
        Global: z.object({}).optional(),
        ReplicatedJob: z.object({}).optional(),
        GlobalJob: z.object({}).optional(),
      })
      .optional(),
    TaskTemplate: z
      .object({
        ContainerSpec: z.object({ Labels: labels }).optional().catch(undefined),
        Networks: lenientArray(networkTarget),
      })
      .optional()
      .catch(undefined),
    /** Deprecated location of the networks, still filled by old clients. */
    Networks: lenientArray(networkTarget),
    EndpointSpec: z
      .object({
        Mode: z.enum(['vip', 'dnsrr']).default('vip'),
        Ports: lenientArray(enginePort),
      })
      .optional(),
  }),
  Endpoint: z
    .object({ Ports: lenientArray(enginePort) })
    .optional()
    .catch(undefined),
  UpdateStatus: z.object({ State: optionalString }).optional().catch(undefined),
});
export type EngineService = z.output<typeof engineService>;

export const engineTask = z.object({
  ID: z.string().min(1),
  ServiceID: z.string().min(1),
  Slot: z.number().int().optional().catch(undefined),
  NodeID: z.string().min(1),
  DesiredState: z.string().min(1),
  UpdatedAt: optionalString,
  Status: z.object({
    State: z.string().min(1),
    Timestamp: optionalString,
    ContainerStatus: z.object({ ContainerID: optionalString }).optional().catch(undefined),
    PortStatus: z
      .object({ Ports: lenientArray(enginePort) })
      .optional()
      .catch(undefined),
  }),
  NetworksAttachments: lenientArray(
    z.object({
      Network: z.object({ ID: z.string().min(1) }),
      Addresses: lenientArray(z.string().min(1)),
    }),
  ),
});
export type EngineTask = z.output<typeof engineTask>;

export const engineNode = z.object({
  ID: z.string().min(1),
  Description: z.object({ Hostname: z.string() }).optional().catch(undefined),
  Spec: z.object({
    Availability: z.enum(['active', 'pause', 'drain']),
    Role: z.enum(['manager', 'worker']),
  }),
  Status: z.object({
    State: z.enum(['unknown', 'down', 'ready', 'disconnected']).catch('unknown'),
    Addr: optionalString,
  }),
  ManagerStatus: z.object({ Addr: optionalString }).optional().catch(undefined),
});
export type EngineNode = z.output<typeof engineNode>;

export const engineNetwork = z.object({
  Id: z.string().min(1),
  Name: z.string(),
  Driver: z.string().catch(''),
  Scope: z.string().catch(''),
  Ingress: z.boolean().catch(false),
});

function sortedStringRecord(record: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort(compare)) {
    const value = record[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/** Code-unit order, independent of locale, so snapshots sort the same everywhere. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
