import { Transform, type TransformCallback } from 'node:stream';
import { SwarmgateError } from '../../errors.js';

/**
 * Passes a request body through and fails with `SG_ERR_BODY_TOO_LARGE` once it exceeds `limit` bytes.
 * Used only for bodies of unknown length (chunked); a too-large Content-Length is refused up front.
 */
export class BodyLimit extends Transform {
  readonly #limit: number;
  #seen = 0;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit) {
      callback(new SwarmgateError('SG_ERR_BODY_TOO_LARGE', `request body exceeds ${this.#limit} bytes`));
      return;
    }
    callback(null, chunk);
  }
}
