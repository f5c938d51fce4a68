import { BadRequestException, HttpException, Logger, NotFoundException, type ArgumentsHost } from '@nestjs/common';
import { Correlation } from '@herald/observability';
import { DomainError } from '@herald/events';
import { ProblemDetailsFilter, type ProblemDetails } from './problem-details.filter.js';
import { ProblemException } from './problem.exception.js';
import { TooManyRequestsException } from './too-many-requests.exception.js';

/** Records what the filter writes, like a tiny Express response. */
class FakeResponse {
  headersSent = false;
  statusCode?: number;
  contentType?: string;
  body?: ProblemDetails;
  headers: Record<string, string> = {};

  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  type(value: string): this {
    this.contentType = value;
    return this;
  }
  json(body: ProblemDetails): this {
    this.body = body;
    return this;
  }
}

function fakeHost(response: FakeResponse, originalUrl = '/users?source=test'): ArgumentsHost {
  return { switchToHttp: () => ({ getResponse: () => response, getRequest: () => ({ originalUrl }) }) } as unknown as ArgumentsHost;
}

/** Runs the filter on one exception and returns the response it wrote. */
function handle(exception: unknown): FakeResponse {
  const response = new FakeResponse();
  new ProblemDetailsFilter().catch(exception, fakeHost(response));
  return response;
}

const bodyParserError = (status: number, type: string, message: string) =>
  Object.assign(new Error(message), { status, type, expose: true });

beforeAll(() => {
  // The filter logs 5xx errors; keep the test output clean.
  Logger.overrideLogger(false);
});

describe(ProblemDetailsFilter.name, () => {
  describe('catch', () => {
    it('answers a DomainError with the status the HTTP edge gives its code, and its code and message', () => {
      const response = handle(new DomainError('USER_NOT_FOUND', 'The user does not exist.'));

      expect(response.statusCode).toBe(404);
      expect(response.body).toMatchObject({ status: 404, code: 'USER_NOT_FOUND', detail: 'The user does not exist.', title: 'Not found' });
      expect(response.body!.type).toBe('https://herald.dev/problems/user-not-found');
    });

    it('answers 400 for a domain error code the HTTP edge does not know', () => {
      expect(handle(new DomainError('SOMETHING_NEW', 'A new rule was broken.')).body).toMatchObject({ status: 400, code: 'SOMETHING_NEW' });
    });

    it('writes application/problem+json', () => {
      expect(handle(new DomainError('INVALID_EMAIL', 'bad')).contentType).toBe('application/problem+json');
      expect(handle(new Error('boom')).contentType).toBe('application/problem+json');
    });

    it('sets instance to the path without the query string', () => {
      expect(handle(new NotFoundException()).body!.instance).toBe('/users');
    });

    it('includes the correlation id of the current scope', () => {
      const response = Correlation.run({ correlationId: 'req-42' }, () => handle(new NotFoundException()));

      expect(response.body!.correlationId).toBe('req-42');
    });

    it('keeps code, detail and errors of a ValidationPipe BadRequestException', () => {
      const errors = [{ field: 'email', messages: ['email must be a valid email address'] }];

      const response = handle(new BadRequestException({ code: 'VALIDATION_FAILED', detail: 'The request body is not valid.', errors }));

      expect(response.statusCode).toBe(400);
      expect(response.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', detail: 'The request body is not valid.', errors });
    });

    it('maps a plain HttpException to the code of its status', () => {
      const response = handle(new NotFoundException('Cannot GET /nowhere'));

      expect(response.statusCode).toBe(404);
      expect(response.body).toMatchObject({ code: 'NOT_FOUND', detail: 'Cannot GET /nowhere' });
    });

    it('joins the messages of an HttpException with a message list', () => {
      const response = handle(new BadRequestException({ message: ['a is wrong', 'b is wrong'] }));

      expect(response.body).toMatchObject({ status: 400, code: 'BAD_REQUEST', detail: 'a is wrong; b is wrong' });
    });

    it('maps a 5xx HttpException without a known code to INTERNAL_ERROR', () => {
      expect(handle(new HttpException('upstream', 502)).body).toMatchObject({ status: 502, code: 'INTERNAL_ERROR' });
    });

    it('answers a rate-limit refusal with 429 TOO_MANY_REQUESTS and Retry-After in whole seconds', () => {
      const response = handle(new TooManyRequestsException(1_200));

      expect(response.statusCode).toBe(429);
      expect(response.body).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS', detail: 'Too many attempts; retry in 2 s.' });
      expect(response.headers['retry-after']).toBe('2');
    });

    it('never asks a client to retry in less than a second', () => {
      expect(handle(new TooManyRequestsException(0)).headers['retry-after']).toBe('1');
    });

    it('answers a ProblemException with the status of its code, its detail and the headers it carries', () => {
      const response = handle(new ProblemException('READ_ONLY', 'The outbox console is read-only here.', { Allow: 'GET, HEAD' }));

      expect(response.statusCode).toBe(405);
      expect(response.body).toMatchObject({ status: 405, code: 'READ_ONLY', detail: 'The outbox console is read-only here.' });
      expect(response.headers.allow).toBe('GET, HEAD');
    });

    it('answers malformed JSON from the body parser with 400 MALFORMED_JSON', () => {
      const response = handle(bodyParserError(400, 'entity.parse.failed', 'Unexpected token } in JSON at position 9'));

      expect(response.statusCode).toBe(400);
      expect(response.body).toMatchObject({ code: 'MALFORMED_JSON', detail: 'The request body is not valid JSON.' });
    });

    it('answers malformed JSON that Nest wrapped in a BadRequestException with 400 MALFORMED_JSON', () => {
      const cause = bodyParserError(400, 'entity.parse.failed', 'Unexpected token } in JSON at position 9');

      const response = handle(new BadRequestException('Unexpected token } in JSON at position 9', { cause }));

      expect(response.statusCode).toBe(400);
      expect(response.body).toMatchObject({ code: 'MALFORMED_JSON', detail: 'The request body is not valid JSON.' });
    });

    it('answers a too large body with 413 PAYLOAD_TOO_LARGE', () => {
      const response = handle(bodyParserError(413, 'entity.too.large', 'request entity too large'));

      expect(response.statusCode).toBe(413);
      expect(response.body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    });

    it('answers a refused connection with 503 SERVICE_UNAVAILABLE', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

      const response = handle(refused);

      expect(response.statusCode).toBe(503);
      expect(response.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    });

    it('recognises ECONNREFUSED in the error code alone', () => {
      const refused = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });

      expect(handle(refused).statusCode).toBe(503);
    });

    it('answers a database lock or statement timeout with 503 SERVICE_UNAVAILABLE', () => {
      const lockTimeout = Object.assign(new Error('canceling statement due to lock timeout'), { name: 'QueryFailedError', code: '55P03' });
      const statementTimeout = Object.assign(new Error('canceling statement due to statement timeout'), {
        name: 'QueryFailedError',
        code: '57014',
      });

      expect(handle(lockTimeout).body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(handle(statementTimeout).body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    });

    it('answers an unknown Error with 500 INTERNAL_ERROR without leaking its message', () => {
      const response = handle(new TypeError("Cannot read properties of undefined (reading 'secret')"));

      expect(response.statusCode).toBe(500);
      expect(response.body).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', title: 'Internal server error' });
      expect(JSON.stringify(response.body)).not.toContain('secret');
    });

    it('answers a thrown non-Error with 500 INTERNAL_ERROR', () => {
      expect(handle('just a string').statusCode).toBe(500);
      expect(handle(undefined).body!.code).toBe('INTERNAL_ERROR');
    });

    it('writes nothing once the headers were sent', () => {
      const response = new FakeResponse();
      response.headersSent = true;

      new ProblemDetailsFilter().catch(new Error('late'), fakeHost(response));

      expect(response.statusCode).toBeUndefined();
      expect(response.body).toBeUndefined();
    });
  });
});
