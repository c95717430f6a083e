import type { Socket } from 'node:net';
import { ResponseParser, type ResponseParserHandler } from '../upstreams/http1/response-parser.js';
import type { RawResponseHead } from './raw-response-head.js';

/** The relay forwards raw bytes; the parser only finds where the response ends. */
const FRAMING_ONLY: ResponseParserHandler = {
  onResponseHead() {},
  onResponseData() {},
  onResponseEnd() {},
};

/**
 * Passes an upstream's refusal of an upgrade (any status but 101) to the client and ends both
 * connections once the response is complete. The client was told `connection: close`; piped both ways
 * instead, an upstream that keeps its connection alive after a framed refusal would hold the client's
 * open too, and anything it sent after the response (an answer to the client's early bytes) would
 * reach the client. The client's own bytes go nowhere. A body that breaks its framing cuts the client
 * connection; a close-delimited one ends when the upstream closes.
 *
 * @example
 * relayRefusal(upstream, client, rewriteRawResponseHead(received, cookie, max), received, false, max);
 */
export function relayRefusal(
  upstream: Socket,
  client: Socket,
  refusal: RawResponseHead,
  received: Buffer,
  headRequest: boolean,
  maxHeadBytes: number,
): void {
  const framing = new ResponseParser(FRAMING_ONLY, maxHeadBytes);
  framing.reset(headRequest);
  const resume = (): void => {
    upstream.resume();
  };
  /** Forwards `chunk` from `from` on; false once the response is complete or broken. */
  const forward = (chunk: Buffer, from: number): boolean => {
    const result = framing.execute(chunk);
    if (result === 'more') {
      if (from < chunk.length && !client.write(chunk.subarray(from))) {
        upstream.pause();
        client.once('drain', resume);
      }
      return true;
    }
    upstream.destroy();
    if (result === 'done') client.end(chunk.subarray(from, chunk.length - framing.leftover));
    else client.destroy();
    return false;
  };
  client.write(refusal.head);
  // The parser reads the head as the upstream sent it; the client got the rewritten one.
  if (forward(received, received.length - refusal.rest.length)) {
    upstream.on('data', (chunk: Buffer) => forward(chunk, 0));
  }
}
