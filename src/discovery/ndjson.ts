/**
 * Splits a byte stream of newline-delimited JSON into parsed values. Chunks may end anywhere, even inside
 * a multi-byte character; blank lines are skipped. A line that is not JSON throws a `SyntaxError`, since
 * it means the stream is corrupt and the caller should reconnect.
 *
 * @example
 * for await (const event of parseNdjson(response.body)) console.log(event);
 */
export async function* parseNdjson(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield JSON.parse(line);
      newline = pending.indexOf('\n');
    }
  }
  const last = (pending + decoder.decode()).trim();
  if (last !== '') yield JSON.parse(last);
}
