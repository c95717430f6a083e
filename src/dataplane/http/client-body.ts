import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { UpstreamError } from '../upstreams/http1/upstream-error.js';
import { BodyLimit } from './body-limit.js';
import type { SlowBodyReason, WatchedBody } from './body-pace-guard.js';
import type { HttpErrorCode } from './error-responses.js';
import type { ExchangeRecord } from './exchange-record.js';
import type { ExchangeSettings } from './exchange-settings.js';
import type { RequestHead } from './request-head.js';

/** What a {@link ClientBody} tells its exchange. */
export interface ClientBodyOwner {
  /**
   * The request may go upstream with `body`: the whole body, read beforehand, or the stream it
   * arrives on (`contentLength` -1: sent chunked).
   */
  bodyReady(body: Buffer | Readable, contentLength: number): void;
  /** The body failed before any upstream got the request: answer `code`. */
  bodyRefused(code: HttpErrorCode, message: string): void;
  /** The body failed while it streams to an upstream: end that exchange with `err`. */
  bodyFailed(err: Error): void;
}

const EMPTY = Buffer.alloc(0);

/**
 * A request body as the gateway takes it from its client. A body known to fit the request buffer
 * (`requestBufferBytes`: its Content-Length, or a chunked body that ends within it) is read whole
 * before an upstream connection is taken, as nginx does, so a slow client holds no upstream
 * connection; a chunked one then goes upstream with its Content-Length. A larger body streams, and
 * takes one of its client's upload slots (`maxUploadsPerClient`) for as long as it arrives. Both are
 * watched by the gateway's pace guard (body timeout, minimum rate). Created only for requests that
 * have a body: a bodyless request costs nothing here.
 *
 * @example
 * const body = new ClientBody(record, settings, exchange);
 * if (body.admit()) body.read(); // then exchange.bodyReady(...) or bodyRefused/bodyFailed
 */
export class ClientBody implements WatchedBody {
  readonly req: IncomingMessage;
  readonly #head: RequestHead;
  readonly #record: ExchangeRecord;
  readonly #settings: ExchangeSettings;
  readonly #owner: ClientBodyOwner;
  /** Read into memory first (else streamed). */
  #buffering: boolean;
  readonly #chunks: Buffer[] = [];
  #received = 0;
  /** The upload slot held while the body streams. */
  #slot: string | undefined;
  #done = false;

  constructor(record: ExchangeRecord, settings: ExchangeSettings, owner: ClientBodyOwner) {
    this.req = record.req;
    this.#head = record.head;
    this.#record = record;
    this.#settings = settings;
    this.#owner = owner;
    const buffer = settings.requestBufferBytes;
    this.#buffering = buffer > 0 && (this.#head.chunked || this.#head.contentLength <= buffer);
  }

  /**
   * Whether the body may come: false for a body that will stream while its client already streams
   * as many as it may (the client is then refused before it sends, also before `100 Continue`).
   */
  admit(): boolean {
    return this.#buffering || this.#takeSlot();
  }

  /** Starts taking the body; the owner hears how it ends. */
  read(): void {
    const req = this.req;
    if (!this.#buffering) {
      this.#stream();
      return;
    }
    // A body that came with its head needs no watching.
    if (!req.complete) this.#settings.bodyPace.watch(this);
    req.on('data', this.#onData);
    req.on('end', this.#onEnd);
  }

  /** The exchange is over: stop reading, watching, and holding a slot. */
  close(): void {
    if (this.#buffering) this.#stopBuffering();
    this.#finish();
  }

  tooSlow(reason: SlowBodyReason): void {
    const message = reason === 'stalled' ? 'request body stalled' : 'request body below the minimum rate';
    if (this.#buffering) {
      this.#stopBuffering();
      this.#finish();
      this.#owner.bodyRefused('SG_ERR_CLIENT_TIMEOUT', message);
      return;
    }
    this.#finish();
    // Classified as the client's stall: 408, and the upstream is not blamed.
    this.#owner.bodyFailed(new UpstreamError('SG_UPSTREAM_STALLED_BY_CLIENT', message));
  }

  #takeSlot(): boolean {
    // The client the gateway forwards as X-Real-IP: behind a trusted proxy, each of its clients counts.
    const client = this.#head.forwardedClient() ?? '';
    this.#slot = this.#settings.uploadSlots.take(client);
    return this.#slot !== undefined;
  }

  #stream(): void {
    const req = this.req;
    if (!req.complete) this.#settings.bodyPace.watch(this);
    req.once('end', this.#finish);
    const limit = this.#record.bodyLimit;
    if (limit === 0 || !this.#head.chunked) {
      this.#owner.bodyReady(req, this.#head.chunked ? -1 : this.#head.contentLength);
      return;
    }
    const limited = new BodyLimit(limit);
    req.on('error', (err) => limited.destroy(err));
    // The limit may trip before the request is on a connection: the owner keeps it for then.
    limited.on('error', (err) => this.#owner.bodyFailed(err));
    this.#owner.bodyReady(req.pipe(limited), -1);
  }

  #stopBuffering(): void {
    this.req.off('data', this.#onData);
    this.req.off('end', this.#onEnd);
  }

  readonly #onData = (chunk: Buffer): void => {
    const received = this.#received + chunk.length;
    this.#received = received;
    const limit = this.#record.bodyLimit;
    if (limit > 0 && received > limit) {
      this.#stopBuffering();
      this.#finish();
      this.#owner.bodyRefused('SG_ERR_BODY_TOO_LARGE', 'request body over limit');
      return;
    }
    this.#chunks.push(chunk);
    // Only a chunked body can outgrow the buffer: it streams from here, its start put back in front.
    if (received <= this.#settings.requestBufferBytes) return;
    const req = this.req;
    req.pause();
    this.#stopBuffering();
    req.unshift(Buffer.concat(this.#chunks, received));
    this.#chunks.length = 0;
    this.#buffering = false;
    this.#settings.bodyPace.unwatch(this);
    if (this.#takeSlot()) this.#stream();
    else this.#owner.bodyRefused('SG_ERR_TOO_MANY_UPLOADS', 'too many uploads streaming from this client');
  };

  readonly #onEnd = (): void => {
    this.#stopBuffering();
    this.#finish();
    const chunks = this.#chunks;
    const received = this.#received;
    const body =
      chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, received);
    chunks.length = 0;
    // A chunked body read whole goes upstream with its length, as nginx sends a buffered body.
    if (this.#head.chunked) this.#head.headers.push('content-length', String(received));
    this.#owner.bodyReady(body, received);
  };

  readonly #finish = (): void => {
    if (this.#done) return;
    this.#done = true;
    this.#settings.bodyPace.unwatch(this);
    if (this.#slot !== undefined) this.#settings.uploadSlots.give(this.#slot);
  };
}
