/**
 * The browser globals the e2e tests use inside `page.evaluate`. The project compiles against Node's
 * types only (no DOM lib), so code that runs in the page reaches them through `globalThis` cast to
 * this shape; the casts are erased and the function runs as written.
 *
 * @example
 * const cookies = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.cookie);
 */

/** The part of the browser's WebSocket the tests use. */
export interface PageWebSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: string }) => void) | null;
  onerror: (() => void) | null;
  onclose: ((event: { code: number }) => void) | null;
}

/** The part of the browser's EventSource (server-sent events) the tests use. */
export interface PageEventSource {
  close(): void;
  onopen: (() => void) | null;
  onmessage: ((event: { data: string }) => void) | null;
}

export interface PageGlobals {
  /** Test-owned page state: the close code of a WebSocket a test keeps open across evaluations. */
  wsClosed?: Promise<number>;
  setTimeout(callback: () => void, ms: number): unknown;
  document: { cookie: string };
  WebSocket: new (url: string) => PageWebSocket;
  EventSource: new (url: string) => PageEventSource;
  fetch(url: string): Promise<{ json(): Promise<unknown> }>;
}
