import { z } from 'zod';
import { ErrorCodes } from '../errors.js';
import { parsePathPrefix } from './labels/paths.js';
import type { RoutingTable } from './table.js';

const upstream = z.object({
  id: z.string().min(1),
  address: z.string().min(1),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  task: z.string().optional(),
  slot: z.number().int().optional(),
  node: z.string(),
  nodeHostname: z.string(),
  state: z.enum(['ready', 'draining']),
});

const backend = z.object({
  id: z.string().min(1),
  service: z.string(),
  serviceId: z.string(),
  mode: z.enum(['task', 'hostport', 'mesh']),
  port: z.number().int().min(1).max(65535),
  network: z.string().optional(),
  upstreams: z.array(upstream),
});

/** A route path takes the form label paths get (`/shop/` → `/shop`, `/%7euser` → `/~user`), so a
 * hand-written table file routes as the same labels would. */
const routePath = z.string().transform((raw, ctx) => {
  const parsed = parsePathPrefix(raw);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: 'custom', message: `expected ${parsed.expected}` });
  return z.NEVER;
});

const route = z.object({
  id: z.string().min(1),
  service: z.string(),
  name: z.string(),
  hosts: z.array(z.string().min(1)).min(1),
  path: routePath,
  stripPath: z.boolean(),
  priority: z.number(),
  backend: z.string(),
  sticky: z.object({ cookie: z.string().min(1), maxAge: z.number().int().positive().optional() }).nullable(),
  balance: z.enum(['round-robin', 'least-requests']),
  health: z
    .object({
      path: z.string().startsWith('/'),
      intervalMs: z.number().positive(),
      timeoutMs: z.number().positive(),
    })
    .nullable(),
  tls: z.boolean(),
  redirectHttps: z.boolean(),
  maxBodyBytes: z.number().int().positive().optional(),
});

const errorCode = z.enum(
  Object.keys(ErrorCodes) as [keyof typeof ErrorCodes, ...(keyof typeof ErrorCodes)[]],
);

const diagnostic = z.object({
  code: errorCode,
  severity: z.enum(['error', 'warning']),
  service: z.string(),
  label: z.string(),
  value: z.string(),
  message: z.string(),
  route: z.string().optional(),
});

/** Schema of a serialized {@link RoutingTable}: static table files and tables received from a controller. */
export const routingTableSchema = z
  .object({
    version: z.string().min(1),
    routes: z.array(route),
    backends: z.array(backend),
    diagnostics: z.array(diagnostic).default([]),
  })
  .superRefine((table, ctx) => {
    const ids = new Set(table.backends.map((b) => b.id));
    table.routes.forEach((r, i) => {
      if (!ids.has(r.backend)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'backend'],
          message: `unknown backend "${r.backend}"`,
        });
      }
    });
  });

/**
 * Validates untrusted JSON as a routing table. Returns the table, or one readable line per problem.
 *
 * @example
 * const result = parseRoutingTable(JSON.parse(text));
 * if (!result.ok) console.error(result.errors.join('\n'));
 */
export function parseRoutingTable(
  input: unknown,
): { ok: true; table: RoutingTable } | { ok: false; errors: string[] } {
  const result = routingTableSchema.safeParse(input);
  if (result.success) return { ok: true, table: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => `${issue.path.join('.') || '(table)'}: ${issue.message}`),
  };
}
