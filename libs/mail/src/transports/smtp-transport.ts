import nodemailer, { type Transporter } from 'nodemailer';
import type { HeraldConfig } from '@herald/config';
import {
  HOUR_MS,
  MailTransport,
  nodemailerMessage,
  type Deduplication,
  type TransportMessage,
  type TransportReceipt,
} from './mail-transport.js';

/**
 * SMTP through nodemailer, pooled (SMTP_MAX_CONNECTIONS per process; 0 opens
 * one per message): the handshake is most of a small message's cost. What a
 * killed worker may re-send does not change with the pool — only messages the
 * server received in full before the kill that neither the inbox nor the job's
 * journal recorded (test/fault/worker-crash). nodemailer's own requeue of a
 * message whose connection closed mid-send is off: the server may have
 * received it in full, and a repeat is the job's decision, never a hidden one.
 *
 * With SMTP_IDEMPOTENCY_HEADER, every message carries the delivery's key in
 * that header (Resend-Idempotency-Key, X-EE-Idempotency-Key …): a relay that
 * honours it answers a repeat with 250 and sends nothing, for its window.
 */
export class SmtpTransport extends MailTransport {
  readonly name = 'smtp';
  readonly deduplication: Deduplication | null;
  private readonly transport: Transporter;
  private readonly idempotencyHeader?: string;

  constructor(config: HeraldConfig) {
    super();
    const { smtpUrl, connectionTimeoutMs, greetingTimeoutMs, socketTimeoutMs, maxConnections, smtpIdempotencyHeader } = config.mail;
    this.idempotencyHeader = smtpIdempotencyHeader;
    this.deduplication = smtpIdempotencyHeader
      ? { windowMs: config.mail.smtpIdempotencyWindowHours * HOUR_MS, by: `the SMTP relay (${smtpIdempotencyHeader} header)` }
      : null;
    this.transport = nodemailer.createTransport({
      url: smtpUrl,
      // nodemailer waits minutes by default; a hanging server must fail the attempt long before the job's lock ends.
      connectionTimeout: connectionTimeoutMs,
      greetingTimeout: greetingTimeoutMs,
      socketTimeout: socketTimeoutMs,
      ...(maxConnections > 0 ? { pool: true, maxConnections, maxRequeues: 0 } : {}),
    });
  }

  async send(message: TransportMessage): Promise<TransportReceipt> {
    await this.transport.sendMail(
      nodemailerMessage(message, this.idempotencyHeader ? { [this.idempotencyHeader]: message.idempotencyKey } : {}),
    );
    return { destination: 'smtp' };
  }

  close(): void {
    this.transport.close();
  }
}
