import { Mailer, MailDeliveryError, ResendTransport, type OutgoingMail } from '@herald/mail';
import { loadConfig } from '@herald/config';
import { Metrics } from '@herald/observability';
import { ResendEmulator, ResendFake, type MailApi } from '../support/mail-api.js';
import { waitFor } from '../support/wait-for.js';

const mail = (overrides: Partial<OutgoingMail> = {}): OutgoingMail => ({
  to: 'ada@example.com',
  subject: 'Verify your email',
  text: 'Open http://herald.test/verify-email?token=abc',
  html: '<p>Open <a href="http://herald.test/verify-email?token=abc">the link</a></p>',
  messageId: 'verification-email-on-registration.0190b8a0-0000-7000-8000-000000000001@herald',
  idempotencyKey: 'herald.verification-email-on-registration.0190b8a0-0000-7000-8000-000000000001',
  headers: { 'X-Herald-Mail-Kind': 'send-verification-email' },
  ...overrides,
});

function mailerFor(api: MailApi): { mailer: Mailer; metrics: Metrics } {
  const config = loadConfig({ MAIL_TRANSPORT: 'resend', RESEND_API_KEY: 're_test', RESEND_BASE_URL: api.url, MAIL_API_TIMEOUT_MS: '5000' });
  const metrics = new Metrics();
  return { mailer: new Mailer(config, new ResendTransport(config), metrics), metrics };
}

/**
 * One contract, two providers: the `emulate` package's Resend emulator and the
 * fake that adds what the emulator lacks (the in-flight 409). What herald relies
 * on must hold for both, so the fake cannot drift from the emulator's answers.
 */
describe.each([
  ['the Resend emulator (emulate 0.12.2)', () => new ResendEmulator().start()],
  ['the Resend fake', () => new ResendFake().start()],
])('The Resend transport against %s', (_name, startApi) => {
  let api: MailApi;
  let mailer: Mailer;
  let metrics: Metrics;

  beforeAll(async () => {
    api = await startApi();
    ({ mailer, metrics } = mailerFor(api));
  });
  afterAll(async () => {
    await api.stop();
  });

  const stored = async (key: string) => (await api.emails()).filter((email) => email.text?.includes(key) || email.subject.includes(key));

  it('sends a mail and records the provider id; a repeat of the same key and body answers that id and sends nothing', async () => {
    const message = mail({ subject: 'repeat-1', idempotencyKey: 'herald.contract.repeat-1' });
    const first = await mailer.send(message);
    const again = await mailer.send(message);
    expect(first).toMatchObject({ destination: 'resend', providerMessageId: expect.any(String) });
    expect(again.providerMessageId).toBe(first.providerMessageId);
    const emails = await stored('repeat-1');
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({
      to: ['ada@example.com'],
      headers: expect.objectContaining({ 'Message-ID': `<${message.messageId}>` }),
    });
  });

  it('refuses another body under a used key with a permanent, loud idempotency conflict', async () => {
    await mailer.send(mail({ subject: 'conflict-1', idempotencyKey: 'herald.contract.conflict-1' }));
    const changed = mailer.send(mail({ subject: 'conflict-1', text: 'another link', idempotencyKey: 'herald.contract.conflict-1' }));
    await expect(changed).rejects.toMatchObject({
      name: 'MailDeliveryError',
      kind: 'idempotency-conflict',
      permanent: true,
      responseCode: 409,
    });
    await expect(changed).rejects.toThrow(
      /^Resend API refused a different message under the same idempotency key \(to a\*\*\*@example\.com\)/,
    );
    expect(await stored('conflict-1')).toHaveLength(1);
    expect((await metrics.render()).body).toMatch(/herald_mail_idempotency_conflicts_total\{transport="resend"\} 1\n/);
  });

  it('refuses a key longer than 256 characters for good (400), so herald never makes one', async () => {
    const failure = await mailer.send(mail({ subject: 'long-key', idempotencyKey: 'k'.repeat(257) })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MailDeliveryError);
    expect(failure).toMatchObject({ responseCode: 400, code: 'invalid_idempotency_key', permanent: true });
    expect(await stored('long-key')).toHaveLength(0);
  });

  it('keeps two deliveries apart: two keys, two mails', async () => {
    await mailer.send(mail({ subject: 'two-keys', idempotencyKey: 'herald.contract.two-keys.a' }));
    await mailer.send(mail({ subject: 'two-keys', idempotencyKey: 'herald.contract.two-keys.b' }));
    expect(await stored('two-keys')).toHaveLength(2);
  });
});

describe('The Resend transport against the fake: answers the emulator does not give', () => {
  const fake = new ResendFake();
  let mailer: Mailer;

  beforeAll(async () => {
    await fake.start();
    ({ mailer } = mailerFor(fake));
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('answers a key still in flight with a transient 409: the delivery retries later and then finds the first id', async () => {
    fake.processingMs = 500;
    const message = mail({ subject: 'in-flight', idempotencyKey: 'herald.contract.in-flight' });
    const first = mailer.send(message);
    await waitFor('the first request to be with the fake', () => fake.inFlight === 1);
    await expect(mailer.send(message)).rejects.toMatchObject({ kind: 'in-flight', permanent: false, retryAfterMs: 1000 });
    const sent = await first;
    fake.processingMs = 0;
    expect((await mailer.send(message)).providerMessageId).toBe(sent.providerMessageId);
    expect((await fake.emails()).filter((email) => email.subject === 'in-flight')).toHaveLength(1);
  });

  it('retries a 429 and a 5xx after the Retry-After they carry, and fails a 422 for good', async () => {
    fake.failNext(429, 'rate_limit_exceeded', '3');
    await expect(mailer.send(mail({ idempotencyKey: 'herald.contract.429' }))).rejects.toMatchObject({
      kind: 'rate-limited',
      permanent: false,
      retryAfterMs: 3000,
    });
    fake.failNext(503, 'internal_server_error', '2');
    await expect(mailer.send(mail({ idempotencyKey: 'herald.contract.503' }))).rejects.toMatchObject({
      kind: 'provider-error',
      permanent: false,
      retryAfterMs: 2000,
    });
    fake.failNext(422, 'validation_error');
    const refused = await mailer.send(mail({ idempotencyKey: 'herald.contract.422' })).catch((error: unknown) => error);
    expect(refused).toMatchObject({ kind: 'message-refused', permanent: true });
    expect(JSON.stringify({ ...(refused as object), message: (refused as Error).message })).not.toContain('ada@example.com');
  });

  it('stores every request when its key handling is off (the control that must show duplicates)', async () => {
    fake.honourIdempotencyKeys = false;
    try {
      const message = mail({ subject: 'keys-off', idempotencyKey: 'herald.contract.keys-off' });
      await mailer.send(message);
      await mailer.send(message);
      expect((await fake.emails()).filter((email) => email.subject === 'keys-off')).toHaveLength(2);
    } finally {
      fake.honourIdempotencyKeys = true;
    }
  });

  it('fails a send the API does not answer within MAIL_API_TIMEOUT_MS as a timeout, to be retried', async () => {
    const config = loadConfig({
      MAIL_TRANSPORT: 'resend',
      RESEND_API_KEY: 're_test',
      RESEND_BASE_URL: fake.url,
      MAIL_API_TIMEOUT_MS: '200',
    });
    const impatient = new Mailer(config, new ResendTransport(config), new Metrics());
    fake.processingMs = 1000;
    try {
      await expect(impatient.send(mail({ idempotencyKey: 'herald.contract.timeout' }))).rejects.toMatchObject({
        kind: 'timeout',
        permanent: false,
      });
    } finally {
      fake.processingMs = 0;
    }
  });
});
