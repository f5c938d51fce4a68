import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEmulator, type Emulator } from 'emulate';
import { freePort } from './ports.js';

/** An email as a Resend-shaped API stored it (`GET /emails`). */
export interface StoredEmail {
  readonly id: string;
  readonly to: string[];
  readonly subject: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly headers: Record<string, string>;
}

/** What the tests need of a Resend-shaped API, emulator or fake: its URL, and the emails it holds. */
export interface MailApi {
  readonly url: string;
  emails(): Promise<StoredEmail[]>;
  stop(): Promise<void>;
}

async function listEmails(url: string): Promise<StoredEmail[]> {
  const response = await fetch(`${url}/emails`, { headers: { authorization: 'Bearer re_test' } });
  if (!response.ok) throw new Error(`GET /emails answered ${response.status}`);
  return ((await response.json()) as { data: StoredEmail[] }).data;
}

/** The `emulate` package's Resend emulator (vercel-labs, Apache-2.0), in process: honours Idempotency-Key for 24 h. */
export class ResendEmulator implements MailApi {
  private emulator?: Emulator;
  url = '';

  async start(): Promise<this> {
    const port = await freePort();
    this.emulator = await createEmulator({ service: 'resend', port });
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  emails(): Promise<StoredEmail[]> {
    return listEmails(this.url);
  }

  async stop(): Promise<void> {
    await this.emulator?.close();
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function answer(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.destroyed) return;
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

const error = (statusCode: number, name: string, message: string) => ({ statusCode, name, message });

/** A request body with its keys in order: the same email gives the same fingerprint however its JSON was laid out. */
function fingerprint(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(fingerprint).join(',')}]`;
  return `{${Object.entries(value)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, entry]) => `${JSON.stringify(key)}:${fingerprint(entry)}`)
    .join(',')}}`;
}

/**
 * An in-process fake of Resend's `POST /emails` with the documented
 * idempotency semantics, including the one the emulator lacks: a key whose
 * first request is still being processed answers 409
 * `concurrent_idempotent_requests`. Same key and body → the first id, nothing
 * stored; same key, other body → 409 `invalid_idempotent_request`; a key
 * outside 1–256 characters → 400. test/integration/mail-api-contract runs one
 * contract suite against it and the emulator, so it stays honest.
 *
 * For tests: `honourIdempotencyKeys = false` stores every request (the
 * control run that must show the duplicate); `processingMs` keeps a request
 * in flight; `failNext` answers the next requests with an error.
 */
export class ResendFake implements MailApi {
  honourIdempotencyKeys = true;
  processingMs = 0;
  /** Requests taken and not yet answered. */
  inFlight = 0;
  private readonly failures: { status: number; name: string; retryAfter?: string }[] = [];
  private readonly stored: StoredEmail[] = [];
  private readonly keys = new Map<string, { fingerprint: string; id?: string }>();
  private server?: Server;
  url = '';

  /** Answers the next request(s) with this error (a 429 with Retry-After, a 503 …) before looking at them. */
  failNext(status: number, name: string, retryAfter?: string, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ status, name, retryAfter });
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((failure: unknown) =>
        answer(response, 500, error(500, 'internal_server_error', String(failure))),
      );
    });
    const port = await freePort();
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (request.method === 'GET' && request.url === '/emails') return answer(response, 200, { object: 'list', data: this.stored });
    if (request.method !== 'POST' || request.url !== '/emails') return answer(response, 404, error(404, 'not_found', 'no such route'));
    const failure = this.failures.shift();
    if (failure) {
      return answer(
        response,
        failure.status,
        error(failure.status, failure.name, 'injected'),
        failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
      );
    }
    const key = request.headers['idempotency-key'];
    if (typeof key === 'string' && (key.length < 1 || key.length > 256)) {
      return answer(response, 400, error(400, 'invalid_idempotency_key', 'Idempotency-Key must be between 1 and 256 characters'));
    }
    let email: Record<string, unknown>;
    try {
      email = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return answer(response, 422, error(422, 'validation_error', 'body is not JSON'));
    }
    for (const field of ['from', 'to', 'subject']) {
      if (!email[field]) return answer(response, 422, error(422, 'validation_error', `Missing required field: ${field}`));
    }
    const print = fingerprint(email);
    const known = typeof key === 'string' && this.honourIdempotencyKeys ? this.keys.get(key) : undefined;
    if (known) {
      if (known.fingerprint !== print) {
        return answer(response, 409, error(409, 'invalid_idempotent_request', 'The idempotency key was used with a different request'));
      }
      if (!known.id) {
        return answer(response, 409, error(409, 'concurrent_idempotent_requests', 'A request with this idempotency key is in progress'));
      }
      return answer(response, 200, { id: known.id });
    }
    const record: { fingerprint: string; id?: string } = { fingerprint: print };
    if (typeof key === 'string' && this.honourIdempotencyKeys) this.keys.set(key, record);
    this.inFlight++;
    if (this.processingMs > 0) await new Promise((resolve) => setTimeout(resolve, this.processingMs));
    this.inFlight--;
    const id = randomUUID();
    const to = email.to;
    this.stored.push({
      id,
      to: Array.isArray(to) ? (to as string[]) : [String(to)],
      subject: String(email.subject),
      text: typeof email.text === 'string' ? email.text : null,
      html: typeof email.html === 'string' ? email.html : null,
      headers: (email.headers ?? {}) as Record<string, string>,
    });
    record.id = id;
    answer(response, 200, { id });
  }

  emails(): Promise<StoredEmail[]> {
    return Promise.resolve([...this.stored]);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * A proxy in front of a mail API that can hold the API's answer after the API
 * took the email: the moment "the provider accepted, the worker has not
 * recorded it yet" made to last, so a test can kill the worker (or stop
 * Postgres) right then. `hold` decides per request; `release()` lets the held
 * answers go (to a dead client they go nowhere).
 */
export class AnswerHoldingProxy {
  hold = false;
  /** Requests forwarded, and answers held now. */
  forwarded = 0;
  private readonly held: (() => void)[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly upstream: string) {}

  get holding(): number {
    return this.held.length;
  }

  async start(): Promise<this> {
    const target = new URL(this.upstream);
    this.server = createServer((request, response) => {
      void readBody(request).then((body) => {
        this.forwarded++;
        const forward = httpRequest(
          { host: target.hostname, port: target.port, path: request.url, method: request.method, headers: request.headers },
          (upstream) => {
            void readBody(upstream).then((answerBody) => {
              const send = () => {
                if (response.destroyed) return;
                response.writeHead(upstream.statusCode ?? 502, upstream.headers);
                response.end(answerBody);
              };
              if (this.hold) this.held.push(send);
              else send();
            });
          },
        );
        forward.on('error', () => answer(response, 502, error(502, 'application_error', 'upstream unreachable')));
        forward.end(body);
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Stops holding and sends every held answer. */
  release(): void {
    this.hold = false;
    for (const send of this.held.splice(0)) send();
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
