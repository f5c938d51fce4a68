import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { loadConfig } from '@herald/config';
import { AdminAccessGuard } from '../admin/admin-access.guard.js';
import { OutboxConsoleController } from '../admin/outbox-console.controller.js';
import { AppModule } from '../app.module.js';
import { AuthController } from '../auth/auth.controller.js';
import { JwtAuthGuard } from '../auth/jwt-auth.guard.js';
import { HealthController } from '../health/health.controller.js';
import { PROBLEM_CODES } from '../http/problem-codes.js';
import { rateLimitPolicyOf } from '../http/rate-limit.js';
import { UsersController } from '../users/users.controller.js';
import { createOpenApiDocument } from './openapi-document.js';

type Operation = {
  operationId: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }>; headers?: Record<string, unknown> }>;
};

const CONTROLLERS: Record<string, object> = {
  UsersController: UsersController.prototype,
  AuthController: AuthController.prototype,
  HealthController: HealthController.prototype,
  OutboxConsoleController: OutboxConsoleController.prototype,
};

/** The guards of a handler: its own and its controller's. */
const guardsOf = (handler: object, controller: object): unknown[] => [
  ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? []),
  ...((Reflect.getMetadata(GUARDS_METADATA, controller.constructor) as unknown[] | undefined) ?? []),
];

/** Every operation of the document with the handler it documents (operation ids are `<Controller>_<method>`). */
function operations(document: OpenAPIObject): { route: string; operation: Operation; handler: object; controller: object }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>).map(([method, operation]) => {
      const [controller, name] = operation.operationId.split('_') as [string, string];
      const prototype = CONTROLLERS[controller];
      const handler = (prototype as Record<string, object> | undefined)?.[name];
      if (!prototype || !handler) throw new Error(`no handler for ${operation.operationId}`);
      return { route: `${method.toUpperCase()} ${path}`, operation, handler, controller: prototype };
    }),
  );
}

describe('The OpenAPI document', () => {
  let app: INestApplication;
  let document: OpenAPIObject;

  beforeAll(async () => {
    // A preview app: module metadata only, nothing connects.
    app = await NestFactory.create(AppModule.forRoot(loadConfig({ NODE_ENV: 'test' })), { preview: true, logger: false });
    document = createOpenApiDocument(app);
  });
  afterAll(async () => {
    await app.close();
  });

  it('enumerates every stable problem code in the Problem schema', () => {
    expect(document.components?.schemas?.ProblemCode).toMatchObject({ enum: PROBLEM_CODES });
    expect(PROBLEM_CODES).toEqual(
      expect.arrayContaining(['VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'EMAIL_NOT_VERIFIED', 'SHUTTING_DOWN']),
    );
  });

  it('documents every error status as application/problem+json with the Problem schema, and X-Request-Id on every answer', () => {
    for (const { route, operation } of operations(document)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect([route, status, response.headers?.['X-Request-Id']]).toEqual([route, status, { $ref: '#/components/headers/X-Request-Id' }]);
        if (Number(status) < 400) continue;
        expect([route, status, Object.keys(response.content ?? {})]).toEqual([route, status, ['application/problem+json']]);
        expect(response.content!['application/problem+json']!.schema).toEqual({ $ref: '#/components/schemas/Problem' });
      }
    }
  });

  it('documents 429 with Retry-After on every rate-limited route (and the log-in)', () => {
    const limited = operations(document).filter(({ handler, route }) => rateLimitPolicyOf(handler) || route === 'POST /auth/login');
    expect(limited.map(({ route }) => route).sort()).toEqual([
      'POST /auth/login',
      'POST /auth/password-reset',
      'POST /auth/password-reset/confirm',
      'POST /users',
      'POST /users/me/password',
      'POST /users/verification-email',
      'POST /users/verify-email',
    ]);
    for (const { route, operation } of limited) {
      expect([route, operation.responses['429']?.headers?.['Retry-After']]).toEqual([route, { $ref: '#/components/headers/Retry-After' }]);
    }
  });

  it('documents the bearer scheme on exactly the routes behind JwtAuthGuard, the admin Basic scheme on those behind AdminAccessGuard, and 401 on both', () => {
    for (const { route, operation, handler, controller } of operations(document)) {
      const guards = guardsOf(handler, controller);
      const expected = [
        ...(guards.includes(JwtAuthGuard) ? [{ bearer: [] }] : []),
        ...(guards.includes(AdminAccessGuard) ? [{ admin: [] }] : []),
      ];
      expect([route, operation.security ?? []]).toEqual([route, expected]);
      if (expected.length > 0) expect([route, Object.keys(operation.responses)]).toEqual([route, expect.arrayContaining(['401'])]);
    }
    expect(document.components?.securitySchemes?.admin).toMatchObject({ type: 'http', scheme: 'basic' });
  });

  it('documents the outbox console: its page as HTML, its requeue form, and what the admin guard answers', () => {
    const console = document.paths['/admin/outbox']!.get! as unknown as Operation;
    expect(Object.keys(console.responses['200']!.content!)).toEqual(['text/html']);
    expect(Object.keys(console.responses).sort()).toEqual(['200', '401', '404', '429', '500', '503']);
    const requeue = document.paths['/admin/outbox/requeue']!.post! as unknown as Operation & { requestBody: object };
    expect(Object.keys((requeue.requestBody as { content: object }).content)).toEqual(['application/x-www-form-urlencoded']);
    expect(Object.keys(requeue.responses).sort()).toEqual(['303', '400', '401', '403', '404', '405', '413', '415', '429', '500', '503']);
    expect(requeue.responses['303']!.headers).toMatchObject({ Location: { required: true } });
    // The fallbacks for other methods and paths are not part of the contract.
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin'))).toEqual(['/admin/outbox', '/admin/outbox/requeue']);
  });
});
