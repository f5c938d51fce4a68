import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/**
 * Paths the HTTP server answers that are not part of the REST contract (HTML pages behind emailed links,
 * Bull Board's own router, the metrics and the document itself). The outbox console is a controller: documented.
 */
export const UNDOCUMENTED_PATHS = ['/metrics', '/verify-email', '/reset-password', '/admin/queues', '/docs', '/docs-json'] as const;

/** Whether a request path is one of UNDOCUMENTED_PATHS or below one. */
export function isUndocumentedPath(path: string): boolean {
  return UNDOCUMENTED_PATHS.some((root) => path === root || path.startsWith(`${root}/`));
}

const HEADERS = {
  'X-Request-Id': {
    description: 'The correlation id of the request (the X-Request-Id sent, when it is safe, or a new one); logs and events carry it',
    required: true,
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before trying again', required: true, schema: { type: 'integer', minimum: 1 } },
  'Retry-After-Optional': {
    description: 'Seconds to wait before trying again (sent with SHUTTING_DOWN)',
    required: false,
    schema: { type: 'integer', minimum: 1 },
  },
};

/**
 * The OpenAPI document of the API, from the controllers' metadata (no
 * request is served and no provider is called, so a preview app will do).
 * Every answer carries X-Request-Id (correlation.middleware.ts sets it before
 * routing), so it is added to every response here rather than on each route.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('herald')
    .setDescription(
      'User accounts whose domain events are never lost. Errors are application/problem+json (RFC 9457) with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth()
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'The admin credentials (ADMIN_USER, ADMIN_PASSWORD)' }, 'admin')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, headers: { ...document.components?.headers, ...HEADERS } };
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      for (const response of Object.values(operation.responses as Record<string, { headers?: Record<string, unknown> }>)) {
        response.headers = { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' }, ...response.headers };
      }
    }
  }
  return document;
}

/** The document as committed in openapi.json: keys sorted at every level, so it is the same from run to run. */
export function canonicalJson(document: unknown): string {
  const sort = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sort)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([key, item]) => [key, sort(item)]),
          )
        : value;
  return `${JSON.stringify(sort(document), null, 2)}\n`;
}
