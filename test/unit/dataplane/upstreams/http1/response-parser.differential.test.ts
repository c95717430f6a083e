/**
 * Differential fuzzing of the upstream response parser against llhttp, as node ships it.
 *
 * Valid responses (Content-Length, chunked with extensions and trailers, close-delimited, 1xx before
 * the final one, HEAD, 204 and 304) are generated, then mutated (case, whitespace, CR/LF variants,
 * duplicate and folded lines, huge numbers, odd bytes), split at random points and fed to both
 * swarmgate's `ResponseParser` and node's HTTP client (through an in-memory socket, public APIs only).
 * The two must agree on: accept or reject, status, header list, interim responses, framing
 * (self-delimited or until close), the decoded body, and whether the connection may be reused. Every
 * disagreement found is either fixed in swarmgate or allowed below with its reason:
 * - `STRICTER_REFUSALS`: swarmgate refuses what llhttp accepts, by swarmgate's reason;
 * - `stricterReuse`: swarmgate closes a connection llhttp would reuse;
 * - `laxerAcceptance`: the only two where swarmgate accepts what llhttp refuses, each read as RFC 9112
 *   §6.3 says a recipient reads it (and the connection not reused after the first);
 * - bytes after the response: swarmgate never reuses the connection, node cannot tell in time.
 *
 * The unit suite runs a fixed seed for a few seconds. A long run, by hand:
 *   SG_FUZZ_RUNS=100000 SG_FUZZ_SEED=12345 node --test dist/test/unit/dataplane/upstreams/http1/response-parser.differential.test.js
 * A failure prints the seed and the offending inputs; rerun with that seed to reproduce.
 * SG_FUZZ_VERBOSE=1 also prints an example input for each allowed difference.
 */
import assert from 'node:assert/strict';
import { Agent, type ClientRequest, request } from 'node:http';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  ResponseParseError,
  ResponseParser,
} from '../../../../../src/dataplane/upstreams/http1/response-parser.js';
import { Recorder } from './parser-harness.js';

const RUNS = Number(process.env.SG_FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.SG_FUZZ_SEED ?? 17);
/** Prints an example input for each allowed difference. */
const VERBOSE = process.env.SG_FUZZ_VERBOSE === '1';
const MAX_HEAD_BYTES = 64 * 1024;

/** What one parser made of a response. */
type Verdict =
  | { accepted: false; reason: string }
  | {
      accepted: true;
      status: number;
      statusText: string;
      headers: string[];
      interim: { status: number; headers: string[] }[];
      body: string;
      /** Self-delimited (length, chunked, none) or until the connection closed. */
      framing: 'self' | 'close';
      reusable: boolean;
      /** Bytes came after the end of the response (swarmgate only; node cannot tell). */
      trailing: boolean;
    };

/** swarmgate: the parser fed piece by piece, then EOF if it still wants more. */
function swarmgateVerdict(pieces: readonly Buffer[], headRequest: boolean): Verdict {
  const recorder = new Recorder();
  const parser = new ResponseParser(recorder, MAX_HEAD_BYTES);
  parser.reset(headRequest);
  let trailing = false;
  let done = false;
  for (let i = 0; i < pieces.length && !done; i++) {
    const result = parser.execute(pieces[i]!);
    if (result instanceof ResponseParseError) return { accepted: false, reason: result.reason };
    if (result === 'done') {
      done = true;
      trailing = parser.leftover > 0 || pieces.slice(i + 1).some((piece) => piece.length > 0);
    }
  }
  if (!done) {
    const end = parser.finish();
    if (end === 'idle') return { accepted: false, reason: 'no response' };
    if (end instanceof ResponseParseError) return { accepted: false, reason: end.reason };
  }
  const head = recorder.heads[0]!;
  return {
    accepted: true,
    status: head.status,
    statusText: head.statusText,
    headers: head.headers,
    interim: recorder.interim.map(({ status, headers }) => ({ status, headers })),
    body: Buffer.concat(recorder.data).toString('latin1'),
    framing: done ? 'self' : 'close',
    reusable: done && !trailing && parser.keepAlive,
    trailing,
  };
}

/** An agent whose one connection is `socket`, and which records whether node would reuse it. */
class ProbeAgent extends Agent {
  readonly #socket: Duplex;
  reusable = false;
  constructor(socket: Duplex) {
    super({ keepAlive: true, maxSockets: 1 });
    this.#socket = socket;
  }
  override createConnection(): Duplex {
    return this.#socket;
  }
  override keepSocketAlive(): boolean {
    this.reusable = true;
    return false;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** llhttp: node's HTTP client reading `pieces` from an in-memory socket, one piece per turn, then EOF. */
async function nodeVerdict(pieces: readonly Buffer[], headRequest: boolean): Promise<Verdict> {
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  const agent = new ProbeAgent(socket);
  const interim: { status: number; headers: string[] }[] = [];
  let error: string | undefined;
  let ended = false;
  let endedBeforeEof = false;
  let eof = false;
  const body: Buffer[] = [];
  let response: { status: number; statusText: string; headers: string[] } | undefined;
  const req: ClientRequest = request({
    agent,
    method: headRequest ? 'HEAD' : 'GET',
    host: 'fuzz.test',
    path: '/',
  });
  const closed = new Promise<void>((resolve) => req.on('close', resolve));
  req.on('information', (info) => interim.push({ status: info.statusCode, headers: info.rawHeaders }));
  req.on('error', (err: NodeJS.ErrnoException) => {
    if (!ended) error ??= err.code ?? err.message;
  });
  req.on('response', (res) => {
    response = { status: res.statusCode!, statusText: res.statusMessage!, headers: res.rawHeaders };
    res.on('data', (chunk: Buffer) => body.push(chunk));
    res.on('aborted', () => {
      error ??= 'aborted';
    });
    res.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code ?? err.message;
    });
    res.on('end', () => {
      ended = true;
      endedBeforeEof = !eof;
    });
  });
  req.end();
  await turn();
  for (const piece of pieces) {
    if (socket.destroyed) break;
    socket.push(piece);
    await turn();
  }
  await turn();
  eof = true;
  if (!socket.destroyed) socket.push(null);
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  await turn();
  agent.destroy();
  if (response === undefined || !ended || (error !== undefined && !endedBeforeEof)) {
    return { accepted: false, reason: error ?? 'no response' };
  }
  return {
    accepted: true,
    ...response,
    interim,
    body: Buffer.concat(body).toString('latin1'),
    framing: endedBeforeEof ? 'self' : 'close',
    reusable: agent.reusable,
    trailing: false,
  };
}

// ---------------------------------------------------------------------------------------------------
// The corpus: valid responses, built from parts so that mutations can aim at the framing.

interface Line {
  name: string;
  /** As sent, whitespace around it included. */
  value: string;
}

interface Case {
  headRequest: boolean;
  interim: { status: number; lines: Line[] }[];
  version: string;
  status: string;
  reason: string;
  lines: Line[];
  framing: 'length' | 'chunked' | 'close' | 'none';
  body: string;
  chunks: { cuts: number[]; extensions: string[]; sizeCase: 'lower' | 'upper' | 'zeros' } | null;
  trailers: Line[];
  /** Mutations applied to the serialised bytes, in order. */
  mutations: Mutation[];
  /** Split points (modulo the length). */
  cuts: number[];
}

type Mutation =
  | { kind: 'line-ending'; at: number; to: string }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'flip-case'; at: number; count: number }
  | { kind: 'duplicate-line'; at: number }
  | { kind: 'byte'; at: number; byte: number };

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const tokenArb = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 });
const valueCharArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'abcXYZ019 ;=,"/<>()') },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)) },
  { weight: 1, arbitrary: fc.constantFrom('\t', ' ') },
);
const valueArb = fc.string({ unit: valueCharArb, maxLength: 16 });
const plainLineArb: fc.Arbitrary<Line> = fc.record({
  name: tokenArb.filter((name) => !/^(content-length|transfer-encoding|connection|keep-alive)$/i.test(name)),
  value: valueArb.map((value) => ` ${value}`),
});
const connectionLineArb: fc.Arbitrary<Line> = fc.record({
  name: fc.constantFrom('Connection', 'connection', 'CONNECTION'),
  value: fc.constantFrom(
    ' close',
    ' keep-alive',
    ' Keep-Alive',
    ' upgrade',
    ' close, x-hop',
    ' keep-alive, close',
    '',
  ),
});
const keepAliveLineArb: fc.Arbitrary<Line> = fc.record({
  name: fc.constant('Keep-Alive'),
  value: fc.constantFrom(' timeout=5', ' timeout=5, max=100', ' junk'),
});
const linesArb = fc
  .tuple(
    fc.array(plainLineArb, { maxLength: 5 }),
    fc.option(connectionLineArb, { freq: 3 }),
    fc.option(keepAliveLineArb, { freq: 4 }),
  )
  .map(([plain, connection, keepAlive]) => [
    ...plain,
    ...(connection === null ? [] : [connection]),
    ...(keepAlive === null ? [] : [keepAlive]),
  ]);

/** Framing field values beyond the plain ones: valid, odd and invalid. */
const LENGTH_VARIANTS = [
  '',
  ' ',
  '0',
  '00',
  '1\t',
  '\t1',
  '1 \t',
  '+1',
  '-1',
  '1 1',
  '1,1',
  ' 1 , 1 ',
  '1, 2',
  '0x1',
  '99999999999999999999',
  '9007199254740993',
  '1.0',
];
const CODING_VARIANTS = [
  'chunked',
  'Chunked',
  'CHUNKED',
  ' chunked ',
  'chunked\t',
  '\tchunked',
  'gzip,\tchunked',
  'gzip, chunked',
  'chunked, gzip',
  'gzip',
  'identity',
  'chunked, chunked',
  'chunked;q=1',
  'chunk',
  '',
  ',chunked',
  'chunked,',
];
const EXTENSIONS = [
  '',
  ';a',
  ';a=b',
  ';a="b c"',
  ' ;a=b',
  ';a = b',
  ';a="\\"q"',
  ';a=b;c=d',
  ';a b',
  ';=b',
  ';a=',
  ';a="unterminated',
  ';a=\xe9',
  ';',
  '\t;a',
];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('line-ending' as const),
    at: fc.nat(),
    to: fc.constantFrom('\n', '\r', '\r\r\n', '\n\r', '\r\n\r\n', '\r\n '),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      ' ',
      '\t',
      ':',
      ';',
      ',',
      '\0',
      '\x7f',
      '\xff',
      '\r\n',
      '\r\n\t',
      '0',
      'a',
      '"',
      'HTTP/1.1 200 OK\r\n',
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    kind: fc.constant('flip-case' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    headRequest: fc.boolean(),
    interim: fc.array(
      fc.record({ status: fc.constantFrom(100, 102, 103), lines: fc.array(plainLineArb, { maxLength: 2 }) }),
      { maxLength: 2 },
    ),
    version: fc.constantFrom('1.1', '1.1', '1.1', '1.0'),
    status: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom('200', '201', '204', '206', '301', '304', '404', '500', '599'),
      },
      { weight: 1, arbitrary: fc.constantFrom('999', '600', '099', '20', '2000', '1000', ' 200', '200 ') },
    ),
    reason: fc.constantFrom(' OK', '', ' ', ' Not Found', ' w\xe9ird', ' tab\there'),
    lines: linesArb,
    framing: fc.constantFrom('length' as const, 'chunked' as const, 'close' as const, 'none' as const),
    lengthVariant: fc.option(fc.constantFrom(...LENGTH_VARIANTS), { freq: 4 }),
    codingVariant: fc.option(fc.constantFrom(...CODING_VARIANTS), { freq: 4 }),
    lengthWithChunked: fc.boolean(),
    body: fc.string({ unit: fc.constantFrom(...'ab\r\n0;'), maxLength: 40 }),
    chunks: fc.record({
      cuts: fc.array(fc.nat(), { maxLength: 4 }),
      extensions: fc.array(fc.constantFrom(...EXTENSIONS), { minLength: 4, maxLength: 4 }),
      sizeCase: fc.constantFrom('lower' as const, 'upper' as const, 'zeros' as const),
    }),
    trailers: fc.array(plainLineArb, { maxLength: 2 }),
    mutations: fc.array(mutationArb, { maxLength: 2 }),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  })
  .map((r) => {
    const lines = [...r.lines];
    if (r.framing === 'length' || (r.framing === 'chunked' && r.lengthWithChunked)) {
      lines.push({ name: 'Content-Length', value: ` ${r.lengthVariant ?? String(r.body.length)}` });
    }
    if (r.framing === 'chunked')
      lines.push({ name: 'Transfer-Encoding', value: ` ${r.codingVariant ?? 'chunked'}` });
    return {
      headRequest: r.headRequest,
      interim: r.interim,
      version: r.version,
      status: r.status,
      reason: r.reason,
      lines,
      framing: r.framing,
      body: r.body,
      chunks: r.framing === 'chunked' ? r.chunks : null,
      trailers: r.trailers,
      mutations: r.mutations,
      cuts: r.cuts,
    };
  });

function headText(startLine: string, lines: readonly Line[]): string {
  return `${startLine}\r\n${lines.map((line) => `${line.name}:${line.value}\r\n`).join('')}\r\n`;
}

function chunkedText(body: string, chunks: NonNullable<Case['chunks']>, trailers: readonly Line[]): string {
  const cuts = [...new Set(chunks.cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) => a - b);
  const bounds = [0, ...cuts.filter((cut) => cut > 0 && cut < body.length), body.length];
  let text = '';
  const size = (n: number): string => {
    const hex = n.toString(16);
    return chunks.sizeCase === 'upper' ? hex.toUpperCase() : chunks.sizeCase === 'zeros' ? `000${hex}` : hex;
  };
  for (let i = 1; i < bounds.length; i++) {
    const data = body.slice(bounds[i - 1], bounds[i]);
    if (data.length === 0) continue;
    text += `${size(data.length)}${chunks.extensions[i % 4]}\r\n${data}\r\n`;
  }
  return `${text}${size(0)}${chunks.extensions[0]}\r\n${headText('', trailers).slice(2)}`;
}

/** The bytes of a case: serialised, mutated. */
function wireOf(c: Case): string {
  let text = c.interim.map(({ status, lines }) => headText(`HTTP/1.1 ${status} Interim`, lines)).join('');
  text += headText(`HTTP/${c.version} ${c.status}${c.reason}`, c.lines);
  if (c.framing === 'chunked') text += chunkedText(c.body, c.chunks!, c.trailers);
  else if (c.framing !== 'none') text += c.body;
  for (const mutation of c.mutations) text = mutate(text, mutation);
  return text;
}

function mutate(text: string, m: Mutation): string {
  if (text.length === 0) return text;
  const at = m.at % text.length;
  switch (m.kind) {
    case 'line-ending': {
      const ends = [...text.matchAll(/\r\n/g)].map((match) => match.index);
      if (ends.length === 0) return text;
      const end = ends[m.at % ends.length]!;
      return text.slice(0, end) + m.to + text.slice(end + 2);
    }
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.count);
    case 'flip-case': {
      const part = text.slice(at, at + m.count);
      const flipped = [...part]
        .map((ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()))
        .join('');
      return text.slice(0, at) + flipped + text.slice(at + m.count);
    }
    case 'duplicate-line': {
      const lines = text.split('\r\n');
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join('\r\n');
    }
    case 'byte':
      return text.slice(0, at) + String.fromCharCode(m.byte) + text.slice(at + 1);
  }
}

function piecesOf(wire: Buffer, points: readonly number[]): Buffer[] {
  if (wire.length === 0) return [];
  const cuts = [...new Set(points.map((point) => point % wire.length))].sort((a, b) => a - b);
  const bounds = [0, ...cuts.filter((cut) => cut > 0), wire.length];
  return bounds.slice(1).map((end, i) => wire.subarray(bounds[i], end));
}

// ---------------------------------------------------------------------------------------------------
// Where the two may disagree, and why.

type Accepted = Extract<Verdict, { accepted: true }>;

const fieldNamed = (headers: readonly string[], name: string): string[] =>
  headers.filter((_, i) => i % 2 === 1 && headers[i - 1]!.toLowerCase() === name);

/**
 * Refusals where swarmgate is stricter than llhttp, by swarmgate's reason: each one names the rule of
 * RFC 9112 (or 9110) that lets a recipient refuse what llhttp lets through.
 */
const STRICTER_REFUSALS: Record<string, string> = {
  'invalid line ending':
    'RFC 9112 §2.2: a recipient MAY accept a bare CR or LF as a line terminator; a gateway that reuses connections does not (a lone CR or LF is how response splitting hides)',
  'invalid content-length':
    'RFC 9112 §6.3 (5): a Content-Length that is not 1*DIGIT is an unrecoverable error; swarmgate also refuses values past 2^53 (llhttp takes up to 2^64)',
  'invalid transfer-encoding':
    'RFC 9112 §6.1: a sender MUST NOT apply chunked more than once; an empty Transfer-Encoding names no coding, and an empty element (`chunked,`) makes the framing depend on the reader',
  'invalid status line':
    'RFC 9112 §4: status-line = HTTP-version SP 3DIGIT SP [reason-phrase], the reason without controls; swarmgate refuses a first digit of 0, a control in the reason phrase and an empty line before the status line (§2.2 lets a server skip one before a request-line only)',
  'invalid chunk extension':
    'RFC 9112 §7.1.1: chunk-ext-val is a token or a quoted-string (llhttp lets obs-text through unquoted)',
  'unexpected protocol switch':
    'RFC 9110 §15.2.2: a server sends 101 only in answer to Upgrade, which the upstream client never sends; llhttp takes it for a final response',
};

/**
 * Acceptances where swarmgate is laxer than llhttp, each where RFC 9112 spells out how a recipient
 * processes the message, and swarmgate does just that: `undefined` when no such rule applies (a bug
 * in swarmgate to fix).
 */
function laxerAcceptance(sg: Accepted): string | undefined {
  const lengths = fieldNamed(sg.headers, 'content-length');
  if (lengths.length > 0 && fieldNamed(sg.headers, 'transfer-encoding').length > 0 && !sg.reusable) {
    return 'RFC 9112 §6.3 (3): Transfer-Encoding overrides Content-Length; an intermediary that forwards such a message removes the Content-Length, and the connection is not reused (llhttp refuses)';
  }
  if (lengths.length > 1 || lengths.some((value) => value.includes(','))) {
    return 'RFC 9112 §6.3 (5): a Content-Length listed or repeated with one value is processed with that value (llhttp refuses)';
  }
  return undefined;
}

/** Why swarmgate does not reuse a connection node would: each a case RFC 9112 calls faulty framing. */
function stricterReuse(c: Case, sg: Accepted): string | undefined {
  if (c.headRequest)
    return 'a HEAD answer: body bytes a faulty upstream sends anyway would pass for the next response';
  const codings = fieldNamed(sg.headers, 'transfer-encoding');
  if (codings.length > 0 && (sg.status === 204 || sg.status === 304)) {
    return 'a 204/304 announcing a body (RFC 9110 §15.3.5, §15.4.5): the upstream may send it anyway';
  }
  if (sg.status === 204 && fieldNamed(sg.headers, 'content-length').some((value) => value.trim() !== '0')) {
    return 'a 204 with a non-zero length (RFC 9110 §15.3.5)';
  }
  if (codings.length > 0 && fieldNamed(sg.headers, 'content-length').length > 0) {
    return 'RFC 9112 §6.3 (3): Transfer-Encoding with Content-Length ought to be handled as an error: body read, connection closed';
  }
  if (fieldNamed(sg.headers, 'connection').some((value) => /(^|,)[ \t]*close[ \t]*(,|$)/i.test(value))) {
    return 'RFC 9112 §9.6: Connection: close ends the connection, whatever else the field lists (llhttp keeps an HTTP/1.0 keep-alive)';
  }
  if (codings.length > 0 && c.version === '1.0') {
    return 'RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing; close after the message';
  }
  return undefined;
}

/** How two verdicts compare: `bug` says what differs when that is not allowed, `allowed` names an allowed difference. */
interface Comparison {
  bug?: string;
  allowed?: string;
}

function compare(c: Case, sg: Verdict, node: Verdict): Comparison {
  if (!sg.accepted && !node.accepted) return {};
  if (!sg.accepted) {
    const why = STRICTER_REFUSALS[sg.reason];
    return why === undefined
      ? { bug: `swarmgate refuses (${sg.reason}), llhttp accepts` }
      : { allowed: `refuses: ${sg.reason}` };
  }
  if (!node.accepted) {
    const why = laxerAcceptance(sg);
    return why === undefined
      ? { bug: `swarmgate accepts, llhttp refuses (${node.reason})` }
      : { allowed: why };
  }
  const differs: string[] = [];
  for (const key of ['status', 'statusText', 'headers', 'interim', 'body', 'framing'] as const) {
    if (!isDeepStrictEqual(sg[key], node[key])) differs.push(key);
  }
  let allowed: string | undefined;
  if (sg.trailing) {
    // Node cannot tell: it may still take the socket back before the stray bytes arrive.
    if (sg.reusable) differs.push('reusable despite bytes after the response');
    else allowed = 'bytes after the response: never reused';
  } else if (sg.reusable !== node.reusable) {
    allowed = node.reusable ? stricterReuse(c, sg) : undefined;
    if (allowed === undefined) differs.push('reusable');
  }
  return differs.length > 0 ? { bug: `differ in ${differs.join(', ')}` } : { allowed };
}

test(`swarmgate's response parser and llhttp agree, or differ only where swarmgate is stricter (seed ${SEED}, ${RUNS} runs)`, async (t) => {
  const cases = fc.sample(caseArb, { seed: SEED, numRuns: RUNS });
  const bugs: string[] = [];
  const allowed = new Map<string, number>();
  const examples = new Map<string, string>();
  let bothAccepted = 0;
  for (const c of cases) {
    const wire = Buffer.from(wireOf(c), 'latin1');
    const pieces = piecesOf(wire, c.cuts);
    const sg = swarmgateVerdict(pieces, c.headRequest);
    const node = await nodeVerdict(pieces, c.headRequest);
    if (sg.accepted && node.accepted) bothAccepted++;
    const comparison = compare(c, sg, node);
    if (comparison.allowed !== undefined) {
      allowed.set(comparison.allowed, (allowed.get(comparison.allowed) ?? 0) + 1);
      if (!examples.has(comparison.allowed))
        examples.set(comparison.allowed, JSON.stringify(wire.toString('latin1')));
    }
    if (comparison.bug !== undefined && bugs.length < 10) {
      bugs.push(
        `${comparison.bug}\n  ${c.headRequest ? 'HEAD' : 'GET'} ${JSON.stringify(wire.toString('latin1'))}\n` +
          `  swarmgate: ${JSON.stringify(sg)}\n  llhttp:    ${JSON.stringify(node)}`,
      );
    }
  }
  t.diagnostic(`both accepted ${bothAccepted} of ${RUNS}`);
  for (const [name, count] of [...allowed].sort((a, b) => b[1] - a[1])) {
    t.diagnostic(`allowed ${count}x: ${name}${VERBOSE ? ` e.g. ${examples.get(name)}` : ''}`);
  }
  assert.deepEqual(bugs, [], `seed ${SEED}`);
  // The corpus must mostly stay valid, or the comparison says little.
  assert.ok(bothAccepted > RUNS / 4, `only ${bothAccepted} of ${RUNS} accepted by both`);
});
