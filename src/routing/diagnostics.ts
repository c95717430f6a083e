import type { ErrorCode } from '../errors.js';
import { compareStrings } from './order.js';
import type { Diagnostic } from './table.js';

/** A label as the user wrote it: the full key and the raw value. */
export interface Label {
  key: string;
  value: string;
}

/** Records the diagnostics of one service; `route` is set only on errors that drop a route. */
export interface Reporter {
  error(code: ErrorCode, label: Label, message: string, route?: string): void;
  warning(code: ErrorCode, label: Label, message: string): void;
}

/** A reporter that appends to `into`, naming `service` on every diagnostic. */
export function reporterFor(service: string, into: Diagnostic[]): Reporter {
  const add = (d: Omit<Diagnostic, 'service'>): void => {
    const { code, severity, label, value, message, route } = d;
    into.push(
      route === undefined
        ? { code, severity, service, label, value, message }
        : { code, severity, service, label, value, message, route },
    );
  };
  return {
    error: (code, label, message, route) =>
      add({ code, severity: 'error', label: label.key, value: label.value, message, route }),
    warning: (code, label, message) =>
      add({ code, severity: 'warning', label: label.key, value: label.value, message }),
  };
}

/** Placeholder for a label the user did not set (diagnostics about a missing label). */
export function unsetLabel(key: string): Label {
  return { key, value: '' };
}

/** Sorts diagnostics into a stable order (service, route, label, code, message) and drops exact repeats. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  const keyed = diagnostics.map((d) => ({
    d,
    key: [d.service, d.route ?? '', d.label, d.code, d.severity, d.value, d.message].join('\u0000'),
  }));
  keyed.sort((a, b) => compareStrings(a.key, b.key));
  return keyed.filter((k, i) => i === 0 || keyed[i - 1]?.key !== k.key).map((k) => k.d);
}
