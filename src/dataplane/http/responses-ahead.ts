import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** The response node is writing on `socket`, if any; pipelined ones queue behind it, out of sight. */
export function responseInFlight(socket: Duplex): ServerResponse | null {
  return (socket as { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
}

/**
 * Calls `then` once the responses ahead on `socket` are done (RFC 9112 §9.3.2: responses go out in
 * request order): at once when none is in flight or `isOwn` accepts the one in flight, else after
 * each one in turn. Node hands the socket to the next queued response as one finishes, before that
 * one's `close`, so the chain reaches every queued response. `then` gets the response `isOwn`
 * accepted, or null; it also runs when the connection closes first, and must check the socket.
 */
export function afterResponsesAhead(
  socket: Duplex,
  isOwn: (res: ServerResponse) => boolean,
  then: (own: ServerResponse | null) => void,
): void {
  const current = responseInFlight(socket);
  if (current === null || socket.destroyed) then(null);
  else if (isOwn(current)) then(current);
  else current.once('close', () => afterResponsesAhead(socket, isOwn, then));
}
