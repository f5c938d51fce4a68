import { SendAccountExistsNotice, SendVerificationEmail, SendWelcomeEmail } from '@herald/notifications';
import { ResolveAccountRequest } from '@herald/users';
import { bearer } from '../support/api-client/index.js';
import { tokenFromMail } from '../support/smtp-sink.js';
import { Stack } from '../support/stack.js';
import { keysWithPrefix, redisClient } from '../support/test-redis.js';
import { waitFor } from '../support/wait-for.js';
import type { AppProcess } from '../support/app-process.js';

const PASSWORD = 'a long and lovely passphrase';

describe('Registration end to end (built API + worker processes, real Postgres, Redis and SMTP)', () => {
  const stack = new Stack();
  let api: AppProcess;
  let worker: AppProcess;

  beforeAll(async () => {
    await stack.start();
    // Most verbose logs: secrets must stay out of them even at trace level.
    worker = await stack.worker({ LOG_LEVEL: 'trace' }).startAndWaitReady();
    api = await stack.api({ LOG_LEVEL: 'trace' }).startAndWaitReady();
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('registers, mails a verification link, verifies, welcomes, logs in and shows the user', async () => {
    const register = await stack.client.POST('/users', { body: { email: 'ada@example.com', password: PASSWORD, displayName: 'Ada' } });
    expect(register.response.status).toBe(202);

    const [verification] = await stack.smtp.waitForMail('ada@example.com', SendVerificationEmail.name);
    expect(verification!.text).toContain('http://herald.test/verify-email?token=');
    expect(verification!.html).toContain('href="http://herald.test/verify-email?token=');

    const verify = await stack.client.POST('/users/verify-email', { body: { token: tokenFromMail(verification!) } });
    expect(verify.response.status).toBe(200);
    expect(verify.data).toMatchObject({ email: 'ada@example.com', displayName: 'Ada', emailVerified: true });
    await stack.smtp.waitForMail('ada@example.com', SendWelcomeEmail.name);

    const login = await stack.client.POST('/auth/login', { body: { email: 'ada@example.com', password: PASSWORD } });
    expect(login.response.status).toBe(200);
    expect(login.data?.tokenType).toBe('Bearer');

    const me = await stack.client.GET('/users/me', { headers: bearer(login.data!.accessToken) });
    expect(me.response.status).toBe(200);
    expect(me.data).toMatchObject({ email: 'ada@example.com', emailVerified: true });
  });

  it('answers a second registration of the same email identically and mails an "account exists" notice', async () => {
    const first = await stack.client.POST('/users', { body: { email: 'grace@example.com', password: PASSWORD } });
    const second = await stack.client.POST('/users', { body: { email: 'grace@example.com', password: 'some other passphrase' } });
    expect(second.response.status).toBe(first.response.status);
    expect(second.data).toEqual(first.data);

    const [notice] = await stack.smtp.waitForMail('grace@example.com', SendAccountExistsNotice.name);
    expect(notice!.subject).toMatch(/tried to register/i);
    expect(notice!.text).not.toMatch(/token=/);
  });

  it('rejects a verification token that was already used', async () => {
    await stack.client.POST('/users', { body: { email: 'alan@example.com', password: PASSWORD } });
    const [mail] = await stack.smtp.waitForMail('alan@example.com', SendVerificationEmail.name);
    const token = tokenFromMail(mail!);
    expect((await stack.client.POST('/users/verify-email', { body: { token } })).response.status).toBe(200);

    const reuse = await stack.client.POST('/users/verify-email', { body: { token } });
    expect(reuse.response.status).toBe(400);
    expect(reuse.error).toMatchObject({ code: 'INVALID_VERIFICATION_TOKEN' });
  });

  it('invalidates the older link when a new verification email is requested', async () => {
    await stack.client.POST('/users', { body: { email: 'barbara@example.com', password: PASSWORD } });
    const [first] = await stack.smtp.waitForMail('barbara@example.com', SendVerificationEmail.name);
    expect((await stack.client.POST('/users/verification-email', { body: { email: 'barbara@example.com' } })).response.status).toBe(202);
    const mails = await stack.smtp.waitForMail('barbara@example.com', SendVerificationEmail.name, 2);

    const stale = await stack.client.POST('/users/verify-email', { body: { token: tokenFromMail(first!) } });
    expect(stale.response.status).toBe(400);
    expect((await stack.client.POST('/users/verify-email', { body: { token: tokenFromMail(mails[1]!) } })).response.status).toBe(200);
  });

  it('leaves no password, raw token or JWT in logs, Redis or job data after a full flow', async () => {
    const password = 'secret-passphrase-for-leak-check';
    await stack.client.POST('/users', { body: { email: 'leak@example.com', password } });
    const [mail] = await stack.smtp.waitForMail('leak@example.com', SendVerificationEmail.name);
    const token = tokenFromMail(mail!);
    await stack.client.POST('/users/verify-email', { body: { token } });
    const login = await stack.client.POST('/auth/login', {
      body: { email: 'leak@example.com', password },
      headers: bearer('not-a-real-token-but-secret'),
    });
    const accessToken = login.data!.accessToken;
    await stack.client.GET('/users/me', { headers: { ...bearer(accessToken), cookie: 'session=cookie-secret-value' } });
    await stack.smtp.waitForMail('leak@example.com', SendWelcomeEmail.name);

    const secrets = [password, token, token.split('.')[1]!, accessToken, 'not-a-real-token-but-secret', 'cookie-secret-value'];
    const logs = [...api.lines, ...worker.lines].join('\n');
    expect(logs).toContain('"msg":"job done"'); // the logs were captured at all
    for (const secret of secrets) expect(logs).not.toContain(secret);

    const redis = redisClient();
    try {
      for (const key of await keysWithPrefix(redis, stack.prefix)) {
        const type = await redis.type(key);
        const dump =
          type === 'hash'
            ? JSON.stringify(await redis.hgetall(key))
            : type === 'string'
              ? ((await redis.get(key)) ?? '')
              : type === 'list'
                ? JSON.stringify(await redis.lrange(key, 0, -1))
                : type === 'zset'
                  ? JSON.stringify(await redis.zrange(key, 0, -1))
                  : type === 'set'
                    ? JSON.stringify(await redis.smembers(key))
                    : '';
        for (const secret of [...secrets, 'leak@example.com']) expect(dump).not.toContain(secret);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('logs each job with its correlation id, and both apps stop cleanly on SIGTERM', async () => {
    const register = await stack.client.POST('/users', {
      body: { email: 'edsger@example.com', password: PASSWORD },
      headers: { 'x-request-id': 'e2e-correlation-1' },
    });
    expect(register.response.headers.get('x-request-id')).toBe('e2e-correlation-1');
    await stack.smtp.waitForMail('edsger@example.com', SendVerificationEmail.name);

    // The SMTP server accepts the mail before the worker records it and logs the job as done.
    const jobLog = await waitFor('the "job done" log line', () =>
      worker.logs().find((line) => line.msg === 'job done' && line.correlationId === 'e2e-correlation-1' && line.queue === 'email'),
    );
    expect(jobLog).toMatchObject({ queue: 'email', jobName: SendVerificationEmail.name, attempt: 1 });
    expect(typeof jobLog.durationMs).toBe('number');
    // The request's resolution, before it, carries the same correlation id.
    expect(
      worker.logs().find((line) => line.msg === 'job done' && line.correlationId === 'e2e-correlation-1' && line.queue === 'accounts'),
    ).toMatchObject({ jobName: ResolveAccountRequest.name, outcome: 'processed' });

    const metrics = await (await fetch(`http://127.0.0.1:${stack.workerPort}/metrics`)).text();
    expect(metrics).toMatch(/herald_jobs_processed_total\{queue="email",name="send-verification-email",outcome="completed"\} [1-9]/);
    expect(metrics).toMatch(/herald_job_duration_seconds_count\{queue="email",name="send-verification-email"\} [1-9]/);

    expect(await api.stop()).toEqual({ code: 0, signal: null });
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  });
});
