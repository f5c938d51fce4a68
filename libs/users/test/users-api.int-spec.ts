import { SendAccountExistsNotice, SendVerificationEmail } from '@herald/notifications';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { UserRegistered } from '@herald/users';
import { createApiHarness, type ApiHarness } from '../../../test/support/api-harness.js';

@EventsHandler(UserRegistered)
class ExplodingRegistrationHandler implements IEventHandler<UserRegistered> {
  handle(): void {
    throw new Error('in-process handler failure on purpose');
  }
}

const PASSWORD = 'correct horse battery staple';

describe('Rate limits switched off (RATE_LIMIT_ENABLED=false)', () => {
  it('never answers 429', async () => {
    const api = await createApiHarness({ env: { RATE_LIMIT_ENABLED: 'false' } });
    try {
      for (let i = 0; i < 12; i++) {
        expect((await api.post('/auth/login', { email: 'free@example.com', password: 'wrong password!!' })).status).toBe(401);
      }
    } finally {
      await api.close();
    }
  });
});

describe('Users API (in process, real Postgres + Redis)', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await createApiHarness({ providers: [ExplodingRegistrationHandler] });
  });
  afterAll(async () => {
    await api.close();
  });

  const expectProblem = async (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status, code });
    expect(typeof body.title).toBe('string');
    return body;
  };

  describe('POST /users', () => {
    it('answers 202 and enqueues a verification email job, even though an event handler throws', async () => {
      const response = await api.post('/users', { email: 'Ada@Example.com ', password: PASSWORD, displayName: 'Ada' });
      expect(response.status).toBe(202);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      await api.settled();

      const [user] = await api.db.query<{ id: string; email: string; password_hash: string }>(`SELECT id, email, password_hash FROM users`);
      expect(user?.email).toBe('ada@example.com');
      expect(user?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      const jobs = await api.emailQueue.getJobs(['waiting', 'active', 'completed', 'delayed']);
      expect(jobs.map((job) => job.name)).toEqual([SendVerificationEmail.name]);
      expect(jobs[0]!.data).toEqual({ eventId: expect.any(String), userId: user!.id, correlationId: response.headers.get('x-request-id') });
    });

    it('gives the same status and body for an email that is already registered', async () => {
      const first = await api.post('/users', { email: 'grace@example.com', password: PASSWORD });
      const second = await api.post('/users', { email: 'GRACE@example.com', password: 'another long password' });
      expect(second.status).toBe(first.status);
      expect(await second.json()).toEqual(await first.json());
      await api.settled();
      const names = (await api.emailQueue.getJobs(['waiting', 'active', 'completed', 'delayed'])).map((job) => job.name);
      expect(names).toContain(SendAccountExistsNotice.name);
      expect(await api.db.query(`SELECT 1 FROM users WHERE email = 'grace@example.com'`)).toHaveLength(1);
    });

    it('refuses an invalid body with a problem listing every field', async () => {
      const body = await expectProblem(
        await api.post('/users', { email: 'not-an-email', password: 'short', extra: 1 }),
        400,
        'VALIDATION_FAILED',
      );
      const fields = (body.errors as { field: string }[]).map((error) => error.field).sort();
      expect(fields).toEqual(['email', 'extra', 'password']);
    });

    it('refuses malformed JSON with a 400 problem, not a 500', async () => {
      await expectProblem(await api.post('/users', '{"email": '), 400, 'MALFORMED_JSON');
    });

    it('refuses a body over the size limit with 413', async () => {
      await expectProblem(await api.post('/users', { email: 'big@example.com', password: 'x'.repeat(200_000) }), 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('POST /users/verify-email', () => {
    it.each([
      ['an unknown token', 'AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['a malformed token', 'not-a-token'],
    ])('refuses %s with INVALID_VERIFICATION_TOKEN', async (_, token) => {
      await expectProblem(await api.post('/users/verify-email', { token }), 400, 'INVALID_VERIFICATION_TOKEN');
    });

    it('refuses a missing token as a validation problem', async () => {
      await expectProblem(await api.post('/users/verify-email', {}), 400, 'VALIDATION_FAILED');
    });
  });

  describe('POST /users/verification-email', () => {
    it('gives the same answer for unknown and known addresses', async () => {
      await api.post('/users', { email: 'resend@example.com', password: PASSWORD });
      const known = await api.post('/users/verification-email', { email: 'resend@example.com' });
      const unknown = await api.post('/users/verification-email', { email: 'nobody@example.com' });
      expect(known.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(await unknown.json()).toEqual(await known.json());
    });
  });

  describe('POST /auth/login', () => {
    it('refuses an unverified account with EMAIL_NOT_VERIFIED once the password is right', async () => {
      await api.post('/users', { email: 'unverified@example.com', password: PASSWORD });
      await api.settled(); // the account is created when the request is resolved
      await expectProblem(
        await api.post('/auth/login', { email: 'unverified@example.com', password: PASSWORD }),
        403,
        'EMAIL_NOT_VERIFIED',
      );
    });

    it('refuses a wrong password and an unknown email alike', async () => {
      await expectProblem(
        await api.post('/auth/login', { email: 'unverified@example.com', password: 'wrong password!!' }),
        401,
        'INVALID_CREDENTIALS',
      );
      await expectProblem(await api.post('/auth/login', { email: 'ghost@example.com', password: PASSWORD }), 401, 'INVALID_CREDENTIALS');
    });
  });

  describe('rate limits (counters in Redis)', () => {
    it('answers 429 with Retry-After after 10 failed log-ins for one email from one address in 15 minutes', async () => {
      const attempt = () => api.post('/auth/login', { email: 'limited@example.com', password: 'wrong password!!' });
      for (let i = 0; i < 10; i++) expect((await attempt()).status).toBe(401);
      const limited = await attempt();
      await expectProblem(limited, 429, 'TOO_MANY_REQUESTS');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('limits registrations of one address to 3 an hour (the "account exists" mails)', async () => {
      for (let i = 0; i < 3; i++) expect((await api.post('/users', { email: 'flood@example.com', password: PASSWORD })).status).toBe(202);
      const limited = await api.post('/users', { email: 'flood@example.com', password: PASSWORD });
      await expectProblem(limited, 429, 'TOO_MANY_REQUESTS');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('limits verification attempts per client address', async () => {
      const headers = { 'x-forwarded-for': '192.0.2.77' };
      for (let i = 0; i < 30; i++) expect((await api.post('/users/verify-email', { token: 'not-a-token' }, headers)).status).toBe(400);
      await expectProblem(await api.post('/users/verify-email', { token: 'not-a-token' }, headers), 429, 'TOO_MANY_REQUESTS');
      // Another client is not affected.
      expect((await api.post('/users/verify-email', { token: 'not-a-token' }, { 'x-forwarded-for': '192.0.2.78' })).status).toBe(400);
    });

    it('limits "account exists" and verification mails per address', async () => {
      for (let i = 0; i < 3; i++) expect((await api.post('/users/verification-email', { email: 'bomb@example.com' })).status).toBe(202);
      await expectProblem(await api.post('/users/verification-email', { email: 'bomb@example.com' }), 429, 'TOO_MANY_REQUESTS');
    });
  });

  describe('GET /users/me', () => {
    it.each([
      ['no token', {}],
      ['a forged token', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }],
      ['another scheme', { authorization: 'Basic YTpi' }],
    ])('answers 401 for %s', async (_, headers) => {
      await expectProblem(await api.get('/users/me', headers as Record<string, string>), 401, 'UNAUTHENTICATED');
    });
  });

  describe('operations', () => {
    it('reports ready when Postgres and Redis answer', async () => {
      const response = await api.get('/health/ready');
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: 'ok', info: { postgres: { status: 'up' }, redis: { status: 'up' } } });
    });

    it('exposes Prometheus metrics for HTTP, the outbox and the queues', async () => {
      const response = await api.get('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toMatch(/herald_http_requests_total\{method="POST",route="\/users",status="202"\} [1-9]/);
      expect(text).toMatch(/herald_outbox_commit_to_enqueue_seconds_count\{source="post-commit"\} [1-9]/);
      expect(text).toMatch(/herald_queue_jobs\{queue="email",state="waiting"\} [1-9]/);
      expect(text).toMatch(/herald_outbox_pending 0/);
      expect(text).not.toMatch(/route="\/verify-email\?token/);
    });

    it('serves the OpenAPI document', async () => {
      const response = await api.get('/docs-json');
      expect(response.status).toBe(200);
      const doc = (await response.json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/users', '/users/verify-email', '/users/verification-email', '/auth/login', '/users/me']),
      );
    });

    it('serves the page behind the emailed link without changing anything on GET', async () => {
      const response = await api.get('/verify-email?token=abc');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain("fetch('/users/verify-email'");
    });

    it('answers unknown routes with a 404 problem', async () => {
      await expectProblem(await api.get('/nope'), 404, 'NOT_FOUND');
    });

    it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
      expect((await api.get('/health/live', { 'x-request-id': 'abc-123' })).headers.get('x-request-id')).toBe('abc-123');
      expect((await api.get('/health/live', { 'x-request-id': 'bad id <script>' })).headers.get('x-request-id')).not.toContain('<');
    });
  });
});
