import { isIP } from 'node:net';
import { z } from 'zod';
import { ErrorCodes } from '../errors.js';
import { MAX_DURATION_MS, MAX_DURATION_TEXT } from './duration-limit.js';
import { parseHosts } from './labels/hosts.js';
import { accept, type Parsed, type Parser, reject } from './labels/parsed.js';
import { parseHealthPath, parsePathPrefix } from './labels/paths.js';
import { parseCookieName } from './labels/scalars.js';
import type { RoutingTable } from './table.js';
import { tableIssues } from './table-consistency.js';
import { hostPort } from './upstreams.js';

/**
 * A string field read by a label parser, so that a hand-written table obeys the rules labels do and
 * takes the same normal form (`/shop/` → `/shop`, `Shop.Example` → `shop.example`).
 */
function parsedBy<T>(parse: Parser<T>) {
  return z.string().transform((raw, ctx) => {
    const parsed = parse(raw);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: `expected ${parsed.expected}` });
    return z.NEVER;
  });
}

/** One entry of a route's `hosts`: a host as the `hosts` label takes it, one per entry. */
function parseHost(raw: string): Parsed<string> {
  if (raw.includes(',') || raw.trim() === '') return reject('one host name per entry');
  const parsed = parseHosts(raw);
  return parsed.ok ? accept(parsed.value[0]!) : parsed;
}

/** Letters, digits, `-`, `_` and `.`: DNS names, Docker service names (`tasks.shop_web`) included. */
const UPSTREAM_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$/;

/** What an upstream connects to: an IP address (IPv6 without brackets) or a host name. */
function parseUpstreamHost(raw: string): Parsed<string> {
  return isIP(raw) !== 0 || UPSTREAM_NAME.test(raw)
    ? accept(raw)
    : reject('an IP address (IPv6 without brackets) or a host name of letters, digits, `-`, `_` and `.`');
}

const port = z.number().int().min(1).max(65535);

const upstream = z
  .object({
    id: z.string().min(1),
    address: z.string().min(1),
    host: parsedBy(parseUpstreamHost),
    port,
    task: z.string().optional(),
    slot: z.number().int().optional(),
    node: z.string(),
    nodeHostname: z.string(),
    state: z.enum(['ready', 'draining']),
  })
  .superRefine((u, ctx) => {
    // The address is part of the identity and the health check's Host header; it must say where the
    // connections go.
    const expected = hostPort(u.host, u.port);
    if (u.address !== expected)
      ctx.addIssue({ code: 'custom', path: ['address'], message: `expected "${expected}" (host:port)` });
  });

const backend = z.object({
  id: z.string().min(1),
  service: z.string(),
  serviceId: z.string(),
  mode: z.enum(['task', 'hostport', 'mesh']),
  port,
  network: z.string().optional(),
  upstreams: z.array(upstream),
});

/** Node's timers fire after 1 ms for anything longer than the limit: a slow check would hammer. */
const durationMs = z
  .number()
  .int()
  .positive()
  .max(MAX_DURATION_MS, `expected at most ${MAX_DURATION_MS} ms (${MAX_DURATION_TEXT})`);

const route = z.object({
  id: z.string().min(1),
  service: z.string(),
  name: z.string(),
  hosts: z
    .array(parsedBy(parseHost))
    .min(1)
    .transform((hosts) => [...new Set(hosts)]),
  path: parsedBy(parsePathPrefix),
  stripPath: z.boolean(),
  priority: z.number().int(),
  backend: z.string(),
  sticky: z
    .object({ cookie: parsedBy(parseCookieName), maxAge: z.number().int().positive().optional() })
    .nullable(),
  balance: z.enum(['round-robin', 'least-requests']),
  health: z
    .object({ path: parsedBy(parseHealthPath), intervalMs: durationMs, timeoutMs: durationMs })
    .refine((h) => h.timeoutMs <= h.intervalMs, {
      path: ['timeoutMs'],
      message: 'expected at most intervalMs (a check ends before the next one starts)',
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
    for (const { path, message } of tableIssues(table)) ctx.addIssue({ code: 'custom', path, message });
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
