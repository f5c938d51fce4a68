import { SendVerificationEmail } from '@herald/notifications';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { Stack } from '../support/stack.js';
import { redisClient } from '../support/test-redis.js';
import { waitFor } from '../support/wait-for.js';

const REFUSED = 'refused.user@example.com';
const MASKED = 'r***@example.com';
const ADMIN = { ADMIN_USER: 'operator', ADMIN_PASSWORD: 'a-long-admin-password' };

describe('A recipient the SMTP server refuses for good (550 5.1.1, as Postfix words it)', () => {
  const stack = new Stack();
  const receiver = new OtlpReceiver();

  beforeAll(async () => {
    await Promise.all([stack.start(), receiver.start()]);
  });
  afterAll(async () => {
    await stack.stop();
    await receiver.stop();
  });

  it('fails its job once, without retries, counted by code, and leaves the address in no span, log line, failedReason, event or board', async () => {
    stack.smtp.rejectRecipients = /^refused\./;
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' };
    // Attempts and backoff as in production: a refusal that was retried would sit delayed, not failed.
    const worker = await stack.worker({ ...otel, JOB_ATTEMPTS: '5', LOG_LEVEL: 'trace' }).startAndWaitReady();
    const api = await stack.api({ ...otel, ...ADMIN, LOG_LEVEL: 'trace' }).startAndWaitReady();

    expect(
      (await stack.client.POST('/users', { body: { email: REFUSED, password: 'a long and lovely passphrase' } })).response.status,
    ).toBe(202);

    const queue = stack.emailQueue();
    const job = await waitFor(
      'the refused job to leave the active state',
      async () => {
        const [found] = (await queue.getJobs(['failed', 'delayed', 'wait'])).filter(
          (candidate) => candidate.name === SendVerificationEmail.name,
        );
        return found && found.attemptsMade >= 1 ? found : null;
      },
      20_000,
    );
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.opts.attempts).toBe(5); // failed with attempts left: the refusal was final, not the attempts exhausted
    expect(stack.smtp.refusals).toEqual([{ address: REFUSED, responseCode: 550 }]);
    expect(job.failedReason).toBe(`SMTP server refused the recipient (to ${MASKED}): 550 5.1.1 [EENVELOPE RCPT TO]`);
    expect((job.stacktrace ?? []).join('\n')).not.toContain(REFUSED);

    // Counted by kind and code, never by address.
    const metrics = await (await fetch(`http://127.0.0.1:${stack.workerPort}/metrics`)).text();
    expect(metrics).toMatch(/herald_mail_send_failures_total\{kind="recipient-refused",code="550",permanent="true"\} 1\n/);
    expect(metrics).not.toContain(REFUSED);

    // The queue's event stream (what Bull Board and QueueEvents read) and every key of the queue.
    const redis = redisClient();
    try {
      const events = await redis.xrange(`${stack.prefix}:email:events`, '-', '+');
      const failedEvent = events.find(([, fields]) => fields.includes('failed') && fields.includes(job.id!));
      expect(failedEvent?.[1].join(' ')).toContain(MASKED);
      expect(JSON.stringify(events)).not.toContain(REFUSED);
      expect(JSON.stringify(await redis.hgetall(`${stack.prefix}:email:${job.id}`))).not.toContain(REFUSED);
    } finally {
      redis.disconnect();
    }

    // Bull Board's view of the failed job.
    const board = await stack.get('/admin/queues/api/queues?activeQueue=email&status=failed&page=1&jobsPerPage=10', {
      authorization: `Basic ${Buffer.from(`${ADMIN.ADMIN_USER}:${ADMIN.ADMIN_PASSWORD}`).toString('base64')}`,
    });
    expect(board.status).toBe(200);
    const shown = await board.text();
    expect(shown).toContain(MASKED);
    expect(shown).not.toContain(REFUSED);

    // The worker's log line says it failed for good, with the masked reason.
    const failedLine = await waitFor('the "job failed" line', () => worker.logs().find((line) => line.msg === 'job failed'));
    expect(failedLine).toMatchObject({ jobName: SendVerificationEmail.name, attempt: 1, permanent: true });
    expect((failedLine.err as { message: string }).message).toContain(MASKED);

    // The spans: the job's and the send's status and exception events carry the masked reason only.
    const jobSpan = await waitFor('the failed job span', () =>
      receiver.spans.find(
        (span) => span.service === 'herald-worker' && span.name === `job ${SendVerificationEmail.name}` && span.status.code === 2,
      ),
    );
    expect(jobSpan.status.message).toContain(MASKED);
    const send = await waitFor('the failed send span', () =>
      receiver.spans.find(
        (span) => span.name === 'smtp send' && span.status.code === 2 && span.events.some((event) => event.name === 'exception'),
      ),
    );
    expect(String(send.events.find((event) => event.name === 'exception')!.attributes['exception.message'])).toContain(MASKED);

    await Promise.all([api.stop(), worker.stop()]);
    expect(JSON.stringify(receiver.spans)).not.toContain(REFUSED);
    for (const line of [...worker.lines, ...api.lines]) expect(line).not.toContain(REFUSED);
  });
});
