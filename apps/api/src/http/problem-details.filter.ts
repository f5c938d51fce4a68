import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '@herald/events';
import { Correlation, isServiceUnavailable } from '@herald/observability';
import { domainErrorStatus } from './domain-error-status.js';
import type { HttpProblemCode } from './problem-codes.js';
import { ProblemException } from './problem.exception.js';

/** RFC 9457 problem details with a stable, machine-readable `code`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  correlationId?: string;
  errors?: { field: string; messages: string[] }[];
}

const CODE_BY_STATUS: Record<number, HttpProblemCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

const TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

const BODY_PARSER_TYPES = /^(entity\.|charset\.unsupported$|encoding\.unsupported$|request\.aborted$|request\.size\.invalid$|stream\.)/;

export function problem(status: number, code: string, detail?: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  return {
    type: `https://herald.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLE_BY_STATUS[status] ?? 'Error',
    status,
    code,
    ...(detail ? { detail } : {}),
    ...extra,
  };
}

const logger = new Logger('HTTP');

/** Turns every error into application/problem+json; a 500 only for real bugs. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }
}

/**
 * Answers `exception` as application/problem+json: the filter's way, also for
 * handlers Nest does not route (the admin guards in front of Bull Board), so
 * every answer of the API reads the same.
 */
export function sendProblem(exception: unknown, request: Request, response: Response): void {
  const body = toProblem(exception);
  body.instance = request.originalUrl?.split('?')[0];
  body.correlationId = Correlation.id();
  if (body.status >= 500) {
    logger.error({ msg: 'request failed', status: body.status, code: body.code, err: exception });
  }
  if (response.headersSent) return;
  if (exception instanceof ProblemException) {
    for (const [name, value] of Object.entries(exception.headers)) response.setHeader(name, value);
  }
  response.status(body.status).type('application/problem+json').json(body);
}

function toProblem(exception: unknown): ProblemDetails {
  if (exception instanceof DomainError) {
    const status = domainErrorStatus(exception.code);
    if (status === undefined) logger.warn({ msg: 'domain error code without an HTTP status; answered 400', code: exception.code });
    return problem(status ?? HttpStatus.BAD_REQUEST, exception.code, exception.message);
  }
  if (exception instanceof HttpException && (exception.cause as { type?: unknown } | undefined)?.type === 'entity.parse.failed') {
    // Nest maps body-parser's JSON SyntaxError to a BadRequestException.
    return problem(HttpStatus.BAD_REQUEST, 'MALFORMED_JSON', 'The request body is not valid JSON.');
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const payload = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
    if (typeof payload.code === 'string') {
      return problem(status, payload.code, typeof payload.detail === 'string' ? payload.detail : exception.message, {
        ...(Array.isArray(payload.errors) ? { errors: payload.errors as ProblemDetails['errors'] } : {}),
      });
    }
    const message = Array.isArray(payload.message) ? payload.message.join('; ') : exception.message;
    return problem(status, CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'), message);
  }
  // body-parser errors (bad JSON, too large) carry their own status and a known `type`.
  const { status, type } = (exception ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof type === 'string' && BODY_PARSER_TYPES.test(type)) {
    const code = type === 'entity.parse.failed' ? 'MALFORMED_JSON' : (CODE_BY_STATUS[status] ?? 'BAD_REQUEST');
    const detail = type === 'entity.parse.failed' ? 'The request body is not valid JSON.' : (exception as Error).message;
    return problem(status, code, detail);
  }
  if (isServiceUnavailable(exception)) {
    return problem(HttpStatus.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE', 'A backing service is unavailable; retry shortly.');
  }
  return problem(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL_ERROR', 'Something went wrong on our side.');
}
