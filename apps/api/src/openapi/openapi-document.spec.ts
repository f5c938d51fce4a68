import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { loadConfig } from '@herald/config';
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
};

/** Every operation of the document with the handler it documents (operation ids are `<Controller>_<method>`). */
function operations(document: OpenAPIObject): { route: string; operation: Operation; handler: object }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>).map(([method, operation]) => {
      const [controller, name] = operation.operationId.split('_') as [string, string];
      const handler = (CONTROLLERS[controller] as Record<string, object> | undefined)?.[name];
      if (!handler) throw new Error(`no handler for ${operation.operationId}`);
      return { route: `${method.toUpperCase()} ${path}`, operation, handler };
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

  it('documents the bearer scheme and 401 on exactly the routes behind JwtAuthGuard', () => {
    for (const { route, operation, handler } of operations(document)) {
      const guarded = ((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? []).includes(JwtAuthGuard);
      expect([route, operation.security ?? []]).toEqual([route, guarded ? [{ bearer: [] }] : []]);
      if (guarded) expect([route, Object.keys(operation.responses)]).toEqual([route, expect.arrayContaining(['401'])]);
    }
  });
});
