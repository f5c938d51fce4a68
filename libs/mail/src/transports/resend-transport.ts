import { Resend } from 'resend';
import type { HeraldConfig } from '@herald/config';
import { MailApiRefusal } from '../mail-delivery-error.js';
import { HOUR_MS, MailTransport, type Deduplication, type TransportMessage, type TransportReceipt } from './mail-transport.js';

/** Resend remembers an Idempotency-Key for 24 hours (its API reference). */
export const RESEND_IDEMPOTENCY_WINDOW_MS = 24 * HOUR_MS;

/**
 * Resend's HTTP API through its official SDK, every send with the delivery's
 * `Idempotency-Key`: a repeat of the same key and body answers the first
 * send's id and sends nothing; the same key with a different body answers 409
 * `invalid_idempotent_request`; a key still in flight 409
 * `concurrent_idempotent_requests`.
 *
 * The SDK returns errors instead of throwing (a network failure too, as status
 * null); both paths end here in a MailApiRefusal, which the Mailer reduces to
 * a MailDeliveryError. A send gives up after MAIL_API_TIMEOUT_MS: a hanging
 * API must fail the attempt before the job's lock could expire.
 */
export class ResendTransport extends MailTransport {
  readonly name = 'resend';
  readonly deduplication: Deduplication = { windowMs: RESEND_IDEMPOTENCY_WINDOW_MS, by: 'Resend (Idempotency-Key)' };
  private readonly client: Resend;
  private readonly timeoutMs: number;

  constructor(config: HeraldConfig) {
    super();
    // Start-up validation requires the key for this transport (crossVariableProblems).
    this.client = new Resend(config.mail.resend.apiKey, { baseUrl: config.mail.resend.baseUrl });
    this.timeoutMs = config.mail.apiTimeoutMs;
  }

  async send(message: TransportMessage): Promise<TransportReceipt> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let answer: Awaited<ReturnType<Resend['emails']['send']>>;
    try {
      answer = await this.client.emails.send(
        {
          from: message.from,
          to: [message.to],
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: { ...message.headers, 'Message-ID': `<${message.messageId}>` },
        },
        { idempotencyKey: message.idempotencyKey, signal },
      );
    } catch {
      // The SDK answers most failures as `error`; an abort or a bug of its own may still throw.
      throw new MailApiRefusal('Resend', null, 'application_error', undefined, signal.aborted);
    }
    if (answer.error) {
      const { statusCode, name } = answer.error;
      throw new MailApiRefusal('Resend', statusCode, name, retryAfterMs(answer.headers?.['retry-after']), signal.aborted);
    }
    return { providerMessageId: answer.data.id, destination: 'resend' };
  }

  close(): void {
    // fetch keeps no connection that needs closing.
  }
}

/** A Retry-After header in milliseconds: seconds, or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
