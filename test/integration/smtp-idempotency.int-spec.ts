import { loadConfig } from '@herald/config';
import { Mailer, SmtpTransport, type OutgoingMail } from '@herald/mail';
import { Metrics } from '@herald/observability';
import { SmtpSink } from '../support/smtp-sink.js';

const mail = (overrides: Partial<OutgoingMail> = {}): OutgoingMail => ({
  to: 'ada@example.com',
  subject: 'Verify your email',
  text: 'Open http://herald.test/verify-email?token=abc',
  html: '<p>the link</p>',
  messageId: 'verification-email-on-registration.0190b8a0-0000-7000-8000-000000000002@herald',
  idempotencyKey: 'herald.verification-email-on-registration.0190b8a0-0000-7000-8000-000000000002',
  ...overrides,
});

describe('SMTP with an idempotency header (a relay that de-duplicates by it), against the test sink', () => {
  const sink = new SmtpSink();
  let mailer: Mailer;
  let transport: SmtpTransport;

  beforeAll(async () => {
    await sink.start();
    sink.idempotencyHeader = 'Resend-Idempotency-Key';
    const config = loadConfig({ SMTP_URL: sink.url, SMTP_IDEMPOTENCY_HEADER: 'Resend-Idempotency-Key', SMTP_MAX_CONNECTIONS: '0' });
    transport = new SmtpTransport(config);
    mailer = new Mailer(config, transport, new Metrics());
  });
  afterAll(async () => {
    transport.close();
    await sink.stop();
  });

  it('declares the window it was given, and carries the key in the header on every message', async () => {
    expect(transport.deduplication).toEqual({ windowMs: 24 * 3_600_000, by: 'the SMTP relay (Resend-Idempotency-Key header)' });
    await mailer.send(mail({ subject: 'header', idempotencyKey: 'herald.smtp.header' }));
    const [received] = sink.messages.filter((message) => message.subject === 'header');
    expect(received!.raw.headers.get('resend-idempotency-key')).toBe('herald.smtp.header');
  });

  it('sends a repeat of the same message under its key once: the relay answers 250 and stores nothing', async () => {
    const message = mail({ subject: 'repeat', idempotencyKey: 'herald.smtp.repeat' });
    await mailer.send(message);
    await mailer.send(message);
    expect(sink.messages.filter((received) => received.subject === 'repeat')).toHaveLength(1);
    expect(sink.repeatsDropped.filter((received) => received.subject === 'repeat')).toHaveLength(1);
  });

  it('refuses a changed message under a used key with 554: a permanent failure', async () => {
    await mailer.send(mail({ subject: 'changed', idempotencyKey: 'herald.smtp.changed' }));
    await expect(
      mailer.send(mail({ subject: 'changed', text: 'another link', idempotencyKey: 'herald.smtp.changed' })),
    ).rejects.toMatchObject({
      name: 'MailDeliveryError',
      responseCode: 554,
      permanent: true,
    });
    expect(sink.keyConflicts).toHaveLength(1);
  });

  it('is at-least-once without the header: SMTP itself de-duplicates nothing', async () => {
    const config = loadConfig({ SMTP_URL: sink.url, SMTP_MAX_CONNECTIONS: '0' });
    const plain = new SmtpTransport(config);
    try {
      expect(plain.deduplication).toBeNull();
      const message = mail({ subject: 'plain', idempotencyKey: 'herald.smtp.plain' });
      await new Mailer(config, plain, new Metrics()).send(message);
      await new Mailer(config, plain, new Metrics()).send(message);
      expect(sink.messages.filter((received) => received.subject === 'plain')).toHaveLength(2);
    } finally {
      plain.close();
    }
  });
});
