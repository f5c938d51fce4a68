import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { problemStatus, type ProblemCode } from '../http/problem-codes.js';
import { problem } from '../http/problem-details.filter.js';
import { FieldErrorsDto, ProblemDto } from './problem.dto.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** What a route with a JSON body can answer before its handler runs (validation pipe, body parser). */
export const JSON_BODY_PROBLEMS = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  // body-parser: aborted request, bad Content-Length
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  // body-parser: a charset or Content-Encoding it cannot read
  'UNSUPPORTED_MEDIA_TYPE',
] as const satisfies readonly ProblemCode[];

/** What any route can answer: a bug, a backing service down, an instance draining for shutdown. */
const EVERY_ROUTE_PROBLEMS = ['INTERNAL_ERROR', 'SERVICE_UNAVAILABLE', 'SHUTTING_DOWN'] as const satisfies readonly ProblemCode[];

const EXAMPLE_CORRELATION_ID = '0193f5a2-7c1e-7b3a-9d4e-5f6a7b8c9d0e';

const DESCRIPTION: Record<number, string> = {
  400: 'The request is invalid',
  401: 'Not authenticated, or the credentials were refused',
  403: 'Forbidden',
  404: 'Not found',
  413: 'The body is larger than the limit (HTTP_BODY_LIMIT)',
  415: 'The body uses a charset or content encoding the API cannot read',
  429: 'Too many requests: wait Retry-After seconds',
  500: 'A bug on our side (logged with the correlation id)',
  503: 'A backing service (Postgres, Redis) is unavailable, or this instance is shutting down: retry',
};

const HEADERS: Record<number, Record<string, { $ref: string }>> = {
  429: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
  503: { 'Retry-After': { $ref: '#/components/headers/Retry-After-Optional' } },
};

function example(code: ProblemCode) {
  const body = problem(problemStatus(code), code, undefined, { correlationId: EXAMPLE_CORRELATION_ID });
  if (code === 'VALIDATION_FAILED') {
    return { ...body, detail: 'The request body is not valid.', errors: [{ field: 'email', messages: ['email must be an email'] }] };
  }
  return body;
}

/**
 * Documents the error answers of a route, grouped by status, each as
 * application/problem+json with the shared Problem schema and an example per
 * code. INTERNAL_ERROR, SERVICE_UNAVAILABLE and SHUTTING_DOWN are added to
 * every route; pass the route's own codes (spread JSON_BODY_PROBLEMS for a
 * route with a body). The contract test fails when a route answers a status
 * not documented here.
 */
export function ApiProblems(...codes: ProblemCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set([...codes, ...EVERY_ROUTE_PROBLEMS])) {
    const status = problemStatus(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses = [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, statusCodes]) =>
      ApiResponse({
        status,
        description: `${DESCRIPTION[status] ?? 'Error'}: ${statusCodes.join(', ')}`,
        ...(HEADERS[status] ? { headers: HEADERS[status] } : {}),
        content: {
          [PROBLEM_CONTENT_TYPE]: {
            schema: { $ref: getSchemaPath(ProblemDto) },
            examples: Object.fromEntries(statusCodes.map((code) => [code, { value: example(code) }])),
          },
        },
      }),
    );
  return applyDecorators(ApiExtraModels(ProblemDto, FieldErrorsDto), ...responses);
}
