import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { HeraldConfig } from '@herald/config';
import { inSpan, Metrics, SpanKind } from '@herald/observability';
import { MailDeliveryError } from './mail-delivery-error.js';

export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Stable Message-ID (without brackets), so a receiver can spot a repeat. */
  readonly messageId: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SentMail {
  readonly messageId: string;
  /** Where the message went: the SMTP server, or the .eml file written. */
  readonly destination: string;
}

/**
 * Sends mail over SMTP when SMTP_URL is set; otherwise writes each message as
 * an .eml file under MAIL_DIR (the local default).
 *
 * SMTP connections are pooled (SMTP_MAX_CONNECTIONS per process, default 5;
 * 0 opens one per message): the handshake is most of a small message's
 * cost. What a
 * killed worker may re-send does not change with the pool — only messages the
 * server received in full before the kill that neither the inbox nor the
 * job's journal recorded (test/fault/worker-crash). nodemailer's own requeue
 * of a message whose connection closed mid-send is off: the server may have
 * received it in full, and a repeat is the job's decision (its retry goes
 * through the inbox and the journal), never a hidden one.
 *
 * A failed send is thrown as a MailDeliveryError: kind, codes and the masked
 * recipient, never the server's reply text (it quotes the address). Each one
 * is counted in `herald_mail_send_failures_total{kind,code,permanent}`.
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly logger = new Logger(Mailer.name);
  private readonly transport: Transporter;
  readonly mode: 'smtp' | 'file';
  private readonly failures;

  constructor(
    private readonly config: HeraldConfig,
    metrics: Metrics,
  ) {
    this.failures = metrics.counter({
      name: 'herald_mail_send_failures_total',
      help: 'Sends that failed, by kind (recipient-refused, connection, timeout …), SMTP reply or nodemailer code, and whether the refusal is permanent (5xx: not retried)',
      labelNames: ['kind', 'code', 'permanent'],
    });
    this.mode = config.mail.smtpUrl ? 'smtp' : 'file';
    const { smtpUrl, connectionTimeoutMs, greetingTimeoutMs, socketTimeoutMs, maxConnections } = config.mail;
    this.transport = smtpUrl
      ? nodemailer.createTransport({
          url: smtpUrl,
          // nodemailer waits minutes by default; a hanging server must fail the attempt long before the job's lock ends.
          connectionTimeout: connectionTimeoutMs,
          greetingTimeout: greetingTimeoutMs,
          socketTimeout: socketTimeoutMs,
          ...(maxConnections > 0 ? { pool: true, maxConnections, maxRequeues: 0 } : {}),
        })
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  send(mail: OutgoingMail): Promise<SentMail> {
    // No address or subject on the span: traces are not a place for personal data.
    return inSpan('smtp send', { kind: SpanKind.CLIENT, attributes: { 'herald.mail.mode': this.mode } }, () => this.deliver(mail));
  }

  private async deliver(mail: OutgoingMail): Promise<SentMail> {
    let info: unknown;
    try {
      info = await this.transport.sendMail({
        from: this.config.mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: `<${mail.messageId}>`,
        headers: mail.headers ? { ...mail.headers } : undefined,
      });
    } catch (error) {
      // Reduced before anything records it: the span, the job's log line, its failedReason and Bull Board.
      const failure = new MailDeliveryError(error, mail.to);
      this.failures.inc({ kind: failure.kind, code: failure.metricCode, permanent: String(failure.permanent) });
      throw failure;
    }
    if (this.mode === 'smtp') {
      return { messageId: mail.messageId, destination: 'smtp' };
    }
    const dir = resolve(this.config.mail.dir);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.messageId.replace(/[^\w.-]/g, '_')}.eml`);
    await writeFile(file, (info as { message: Buffer }).message);
    this.logger.log({ msg: 'mail written to file', file });
    return { messageId: mail.messageId, destination: file };
  }

  /** After the queue workers finished their jobs (beforeApplicationShutdown), not before. */
  onApplicationShutdown(): void {
    this.transport.close();
  }
}
