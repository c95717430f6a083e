import assert from 'node:assert/strict';
import type { Backend, Diagnostic, RoutingTable } from '../../../src/routing/table.js';

/** Ids of the routes a table serves. */
export function routeIds(table: RoutingTable): string[] {
  return table.routes.map((r) => r.id);
}

/** The one route with `id` (fails the test when it is missing). */
export function routeOf(table: RoutingTable, id: string) {
  const route = table.routes.find((r) => r.id === id);
  assert.ok(route, `route ${id} missing; routes: ${routeIds(table).join(', ')}`);
  return route;
}

/** The backend route `id` points at. */
export function backendOf(table: RoutingTable, id: string): Backend {
  const backendId = routeOf(table, id).backend;
  const backend = table.backends.find((b) => b.id === backendId);
  assert.ok(backend, `backend ${backendId} missing`);
  return backend;
}

/** The only diagnostic of a table (fails the test when there are none or several). */
export function onlyDiagnostic(table: RoutingTable): Diagnostic {
  assert.equal(table.diagnostics.length, 1, JSON.stringify(table.diagnostics, null, 2));
  return table.diagnostics[0]!;
}
