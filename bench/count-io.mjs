// What a process says to Postgres and Redis, counted on the wire: Postgres round trips, statements,
// commits (CommandComplete tags) and transactions; Redis commands (by name) and round trips. A preload
// for the apps (`node --import ./bench/count-io.mjs`: the bench passes it with BENCH_COUNT_IO, on by
// default), or imported by a bench process to count its own traffic.
//
// Why the socket and not pg/ioredis hooks: the figures must stay right when the client changes (a
// pipelined unit of work may move to another driver or send several statements in one exchange), so
// everything is read from the bytes: the frontend/backend protocol for Postgres, RESP for Redis.
//
// A round trip is a burst of writes on one connection followed by waiting for a read: the first write
// after something was read (or the first ever) opens one. Statements sent together (a pipeline, a
// multi-statement query, BEGIN with the first INSERT) are one round trip; so are Redis commands sent in
// one pipeline. A blocking Redis command (BullMQ's worker waiting for a job) is a round trip too. On a
// connection that concurrent requests share (ioredis: one per client), the commands of several requests
// written before the first answer share a round trip: divided by requests, Redis round trips say how many
// exchanges the connection made, not how many each request waited for.
//
// Reports: `snapshot()` in process; as a preload (COUNT_IO_DIR set), on SIGUSR2 and at exit it writes
// the snapshot to `$COUNT_IO_DIR/<pid>.json` (written aside and renamed, so a reader never sees half a
// file; bench/io-counts.mjs reads it). Which connections count: those to the ports of DATABASE_URL and
// REDIS_URL (5432 and 6379 by default), or COUNT_IO_PG_PORTS / COUNT_IO_REDIS_PORTS (comma-separated).
// The cost: a few property reads per socket write and read, and for Redis a scan of each command's
// headers (RESP lengths let it skip the values).
import net from 'node:net';
import { renameSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Postgres totals of one process (or one test). */
export function pgTotals() {
  return { connections: 0, roundTrips: 0, statements: 0, commits: 0, rollbacks: 0, transactions: 0, tags: {} };
}

/** Redis totals of one process (or one test). */
export function redisTotals() {
  return { connections: 0, roundTrips: 0, commands: 0, byCommand: {} };
}

/** The round-trip rule, shared by both protocols: a write opens one unless the last one is still unanswered. */
class RoundTrips {
  awaiting = false;
  constructor(totals) {
    this.totals = totals;
  }
  wrote() {
    if (!this.awaiting) this.totals.roundTrips++;
    this.awaiting = true;
  }
  read() {
    this.awaiting = false;
  }
}

const asBuffer = (chunk, encoding) =>
  Buffer.isBuffer(chunk)
    ? chunk
    : chunk instanceof Uint8Array
      ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      : Buffer.from(String(chunk), typeof encoding === 'string' ? encoding : 'utf8');

/**
 * One Postgres connection, client side. Reads the backend's messages (type byte, int32 length, body):
 * CommandComplete ('C') gives each statement's tag — a commit counts only when the tag says COMMIT (a
 * COMMIT of a failed transaction answers ROLLBACK); ReadyForQuery ('Z') with status idle after at least
 * one statement ends a transaction (committed or rolled back; explicit or single-statement, as
 * pg_stat_database counts them in xact_commit + xact_rollback, failed single statements aside).
 */
export class PgWire {
  #rest = null; // the start of a message split across reads ('C', 'Z', or a header)
  #skip = 0; // bytes still to come of a long message split across reads (rows): not kept
  #expectSslAnswer = false;
  #firstWrite = true;
  #statementsSinceIdle = 0;

  constructor(totals) {
    this.totals = totals;
    this.trips = new RoundTrips(totals);
    totals.connections++;
  }

  onWrite(chunk, encoding) {
    if (!chunk || chunk.length === 0) return;
    if (this.#firstWrite) {
      this.#firstWrite = false;
      const buffer = asBuffer(chunk, encoding);
      // SSLRequest/GSSENCRequest: the server answers with one untyped byte ('S', 'N' or 'G').
      if (buffer.length >= 8 && [SSL_REQUEST, GSSENC_REQUEST].includes(buffer.readInt32BE(4))) this.#expectSslAnswer = true;
    }
    this.trips.wrote();
  }

  onRead(chunk) {
    let buffer = asBuffer(chunk);
    if (buffer.length === 0) return;
    this.trips.read();
    if (this.#expectSslAnswer) {
      this.#expectSslAnswer = false;
      this.#firstWrite = true; // the startup message follows
      buffer = buffer.subarray(1);
    }
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, buffer.length);
      this.#skip -= n;
      buffer = buffer.subarray(n);
    }
    if (this.#rest) {
      buffer = Buffer.concat([this.#rest, buffer]);
      this.#rest = null;
    }
    let at = 0;
    while (buffer.length - at >= 5) {
      const type = buffer[at];
      const end = at + 1 + buffer.readInt32BE(at + 1);
      const wanted = type === 0x43 /* C */ || type === 0x5a; /* Z */
      if (end > buffer.length) {
        if (wanted) break; // keep it: its body is read below once whole
        this.#skip = end - buffer.length;
        at = buffer.length;
        break;
      }
      if (type === 0x43) this.#commandComplete(buffer.toString('latin1', at + 5, end - 1));
      else if (type === 0x5a) this.#readyForQuery(buffer[at + 5]);
      at = end;
    }
    if (at < buffer.length) this.#rest = Buffer.from(buffer.subarray(at));
  }

  #commandComplete(tag) {
    const word = tag.split(' ', 1)[0];
    this.totals.statements++;
    this.#statementsSinceIdle++;
    this.totals.tags[word] = (this.totals.tags[word] ?? 0) + 1;
    if (word === 'COMMIT') this.totals.commits++;
    else if (word === 'ROLLBACK') this.totals.rollbacks++;
  }

  #readyForQuery(status) {
    if (status !== 0x49 /* I: idle, no transaction open */) return;
    if (this.#statementsSinceIdle > 0) this.totals.transactions++;
    this.#statementsSinceIdle = 0;
  }
}

/**
 * One Redis connection, client side. Reads the commands written (RESP arrays of bulk strings, as
 * ioredis writes them; a pipeline is many in one write) and counts each by name; what comes back only
 * ends the round trip.
 */
export class RedisWire {
  #rest = null;

  constructor(totals) {
    this.totals = totals;
    this.trips = new RoundTrips(totals);
    totals.connections++;
  }

  onWrite(chunk, encoding) {
    let buffer = asBuffer(chunk, encoding);
    if (buffer.length === 0) return;
    this.trips.wrote();
    if (this.#rest) {
      buffer = Buffer.concat([this.#rest, buffer]);
      this.#rest = null;
    }
    let at = 0;
    while (at < buffer.length) {
      const end = commandEnd(buffer, at);
      if (end === -1) break;
      this.#command(commandName);
      at = end;
    }
    if (at < buffer.length) this.#rest = Buffer.from(buffer.subarray(at));
  }

  onRead(chunk) {
    if (chunk && chunk.length > 0) this.trips.read();
  }

  #command(name) {
    this.totals.commands++;
    this.totals.byCommand[name] = (this.totals.byCommand[name] ?? 0) + 1;
  }
}

// commandEnd's second result, and intLine's: module-level so that parsing allocates nothing per command.
let commandName = '';
let lineEnd = 0;

/** The non-negative integer from `at` to its CRLF (lineEnd: past the LF); -1 if the line is not all there. */
function intLine(buffer, at) {
  let value = 0;
  for (let i = at; i < buffer.length; i++) {
    const c = buffer[i];
    if (c === 13 /* \r */) {
      if (i + 1 >= buffer.length) return -1;
      lineEnd = i + 2;
      return value;
    }
    value = value * 10 + (c - 48);
  }
  return -1;
}

/** Where the RESP command starting at `at` ends (its name in commandName); -1 if it is not all there yet. */
function commandEnd(buffer, at) {
  if (buffer[at] !== 0x2a /* * */) {
    // An inline command (not what ioredis writes): one line.
    const lf = buffer.indexOf(10, at);
    if (lf === -1) return -1;
    commandName = buffer.toString('latin1', at, lf).trim().split(' ', 1)[0].toUpperCase();
    return lf + 1;
  }
  const count = intLine(buffer, at + 1);
  if (count === -1) return -1;
  let next = lineEnd;
  let nameStart = 0;
  let nameEnd = 0;
  for (let i = 0; i < count; i++) {
    if (next >= buffer.length) return -1;
    const length = intLine(buffer, next + 1); // past the '$'
    if (length === -1) return -1;
    const bodyEnd = lineEnd + length + 2;
    if (bodyEnd > buffer.length) return -1;
    if (i === 0) [nameStart, nameEnd] = [lineEnd, lineEnd + length];
    next = bodyEnd;
  }
  commandName = buffer.toString('latin1', nameStart, nameEnd).toUpperCase();
  return next;
}

// ---------------------------------------------------------------------- the process's own counts

const portOf = (url, fallback) => {
  try {
    return Number(new URL(url).port || fallback);
  } catch {
    return fallback;
  }
};
const ports = (list, url, fallback) => new Set(list ? list.split(',').map(Number) : [url ? portOf(url, fallback) : fallback]);

const STATE = Symbol.for('herald.bench.countIo');
const WIRE = Symbol('herald.bench.countIo.wire');

/** Installs the socket hooks once per process (the preload and an import may both ask); returns the totals. */
export function installCounting(env = process.env) {
  if (globalThis[STATE]) return globalThis[STATE];
  const state = { pg: pgTotals(), redis: redisTotals(), since: Date.now() };
  globalThis[STATE] = state;
  const pgPorts = ports(env.COUNT_IO_PG_PORTS, env.DATABASE_URL, 5432);
  const redisPorts = ports(env.COUNT_IO_REDIS_PORTS, env.REDIS_URL, 6379);

  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) {
    // net.connect() hands over its normalised arguments as an array; a direct call has (options | port, ...).
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const port = Number(typeof first === 'object' && first !== null ? first.port : first);
    if (!this[WIRE]) {
      if (pgPorts.has(port)) this[WIRE] = new PgWire(state.pg);
      else if (redisPorts.has(port)) this[WIRE] = new RedisWire(state.redis);
    }
    return connect.apply(this, args);
  };
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (chunk, encoding, callback) {
    this[WIRE]?.onWrite(chunk, encoding);
    return write.call(this, chunk, encoding, callback);
  };
  // Every chunk a socket reads goes through push() (Node's stream_base onStreamRead).
  const push = net.Socket.prototype.push ?? Readable.prototype.push;
  net.Socket.prototype.push = function (chunk, encoding) {
    if (chunk) this[WIRE]?.onRead(chunk);
    return push.call(this, chunk, encoding);
  };
  return state;
}

/** A copy of the process's counts so far (zeros if counting is not installed). */
export function snapshot() {
  const state = globalThis[STATE];
  return structuredClone({ pid: process.pid, at: Date.now(), pg: state?.pg ?? pgTotals(), redis: state?.redis ?? redisTotals() });
}

/** b − a, field by field (the counts of a window between two snapshots). */
export function difference(a, b) {
  const sub = (x, y) => {
    const out = {};
    for (const key of new Set([...Object.keys(x ?? {}), ...Object.keys(y ?? {})])) {
      const [p, q] = [x?.[key], y?.[key]];
      if (typeof q === 'number' || typeof p === 'number') out[key] = (q ?? 0) - (p ?? 0);
      else if (typeof q === 'object' || typeof p === 'object') {
        // Tags and command names: only those seen in the window.
        out[key] = Object.fromEntries(Object.entries(sub(p, q)).filter(([, n]) => n !== 0));
      }
    }
    return out;
  };
  return { ms: b.at - a.at, pg: sub(a.pg, b.pg), redis: sub(a.redis, b.redis) };
}

// As a preload: count from the start, report on SIGUSR2 and at exit.
if (process.env.COUNT_IO_DIR) {
  installCounting();
  const file = `${process.env.COUNT_IO_DIR}/${process.pid}.json`;
  let reports = 0;
  const report = () => {
    writeFileSync(`${file}.tmp`, JSON.stringify({ ...snapshot(), reports: ++reports }));
    renameSync(`${file}.tmp`, file);
  };
  process.on('SIGUSR2', report);
  process.on('exit', report);
}
