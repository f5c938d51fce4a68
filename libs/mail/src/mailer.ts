import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HeraldConfig } from '@herald/config';
import { inSpan, Metrics, SpanKind } from '@herald/observability';
import { MailDeliveryError } from './mail-delivery-error.js';
import { MailTransport, type Deduplication, type OutgoingMail } from './transports/mail-transport.js';
import { dedupWindowWarning } from './dedup-window.js';

export interface SentMail {
  readonly messageId: string;
  /** The provider's id of the message (Resend's email id), when it gives one. */
  readonly providerMessageId?: string;
  /** Where the message went: `smtp`, `resend`, or the .eml file written. */
  readonly destination: string;
}

/**
 * Sends mail through the configured transport (MAIL_TRANSPORT: smtp, resend,
 * file; see transports/). Each message carries its delivery's idempotency
 * key; a transport that de-duplicates sends it once within its window.
 *
 * A failed send is thrown as a MailDeliveryError: kind, codes and the masked
 * recipient, never the server's reply text (it quotes the address). Each one
 * is counted in `herald_mail_send_failures_total{kind,code,permanent}`; a
 * different message under a key already used (item 2 of issue 21 broken: a
 * retry that did not send its first attempt's message) is also counted in
 * `herald_mail_idempotency_conflicts_total` and logged as an error.
 */
@Injectable()
export class Mailer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Mailer.name);
  private readonly failures;
  private readonly conflicts;

  constructor(
    private readonly config: HeraldConfig,
    private readonly transport: MailTransport,
    metrics: Metrics,
  ) {
    this.failures = metrics.counter({
      name: 'herald_mail_send_failures_total',
      help: 'Sends that failed, by kind (recipient-refused, connection, timeout, rate-limited …), SMTP reply, HTTP status or client code, and whether the refusal is permanent (not retried)',
      labelNames: ['kind', 'code', 'permanent'],
    });
    this.conflicts = metrics.counter({
      name: 'herald_mail_idempotency_conflicts_total',
      help: 'Sends the provider refused because the same idempotency key came with a different message (a retry changed its message: never expected)',
      labelNames: ['transport'],
    });
  }

  /** The transport in use: `smtp`, `resend` or `file`. */
  get mode(): MailTransport['name'] {
    return this.transport.name;
  }

  get deduplication(): Deduplication | null {
    return this.transport.deduplication;
  }

  /** Says at start-up how far the transport's guarantee reaches (and warns where herald may retry beyond it). */
  onApplicationBootstrap(): void {
    const { name, deduplication } = this.transport;
    const warning = dedupWindowWarning(this.config, deduplication);
    if (warning) this.logger.warn({ msg: warning, transport: name });
    this.logger.log({
      msg: deduplication
        ? `mail transport ${name}: exactly once within the window of ${deduplication.by}`
        : `mail transport ${name}: at-least-once (a message the server received in full before the worker recorded it is sent again on retry)`,
      transport: name,
      dedupWindowHours: deduplication ? deduplication.windowMs / 3_600_000 : 0,
    });
  }

  send(mail: OutgoingMail): Promise<SentMail> {
    // No address or subject on the span: traces are not a place for personal data.
    // Named by the transport: `smtp send` (dashboards and traces know it by that name), `resend send`, `file send`.
    return inSpan(
      `${this.transport.name} send`,
      { kind: SpanKind.CLIENT, attributes: { 'herald.mail.mode': this.transport.name } },
      async (span) => {
        const sent = await this.deliver(mail);
        if (sent.providerMessageId) {
          // The provider's id is what its dashboard and webhooks name the message by: recorded with the delivery.
          span.setAttribute('herald.mail.provider_message_id', sent.providerMessageId);
          this.logger.log({
            msg: 'mail accepted by the provider',
            transport: this.transport.name,
            messageId: mail.messageId,
            providerMessageId: sent.providerMessageId,
          });
        }
        return sent;
      },
    );
  }

  private async deliver(mail: OutgoingMail): Promise<SentMail> {
    try {
      const receipt = await this.transport.send({
        from: this.config.mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        idempotencyKey: mail.idempotencyKey,
        headers: { ...mail.headers },
      });
      if (this.transport.name === 'file') this.logger.log({ msg: 'mail written to file', file: receipt.destination });
      return { messageId: mail.messageId, ...receipt };
    } catch (error) {
      // Reduced before anything records it: the span, the job's log line, its failedReason and Bull Board.
      const failure = error instanceof MailDeliveryError ? error : new MailDeliveryError(error, mail.to);
      this.failures.inc({ kind: failure.kind, code: failure.metricCode, permanent: String(failure.permanent) });
      if (failure.kind === 'idempotency-conflict') {
        this.conflicts.inc({ transport: this.transport.name });
        this.logger.error({
          msg: "the provider refused a changed message under an idempotency key already used: the retry did not send the first attempt's message",
          transport: this.transport.name,
          idempotencyKey: mail.idempotencyKey,
        });
      }
      throw failure;
    }
  }

  /** After the queue workers finished their jobs (beforeApplicationShutdown), not before. */
  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }
}
