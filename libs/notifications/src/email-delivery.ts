import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Inbox, type DeliveryContext, type InboxOutcome } from '@herald/events';
import type { JobContext } from '@herald/jobs';
import { Mailer } from '@herald/mail';
import type { RenderedMail } from './templates/templates.js';

/** A mail ready to go: its recipient and its rendered content. */
export interface PreparedMail {
  readonly to: string;
  readonly kind: string;
  readonly content: RenderedMail;
}

/** The most characters an idempotency key may have (Resend, Lettermint, EmailEngine: 1–256). */
const IDEMPOTENCY_KEY_MAX = 256;

type DeliveryKey = DeliveryContext['key'];

/**
 * The stable name of one delivery: `<reaction>.<eventId>`, plus `.r<replayId>`
 * for a replay (an operator asked for a new delivery: a new message, stable
 * across its own retries). Ids only, never personal data. It names the
 * Message-ID, the idempotency key and the one-time token a delivery mints.
 */
export function deliveryNameOf(key: DeliveryKey): string {
  return `${key.consumer}.${key.eventId}${key.replayId ? `.r${key.replayId}` : ''}`;
}

/** The idempotency key of a delivery: its name, hashed only if a reaction name were ever too long for the providers. */
export function idempotencyKeyOf(key: DeliveryKey): string {
  const name = `herald.${deliveryNameOf(key)}`;
  return name.length <= IDEMPOTENCY_KEY_MAX ? name : `herald.sha256.${createHash('sha256').update(name).digest('hex')}`;
}

/**
 * Sends one email for one (reaction, event) delivery, once: the inbox claims it
 * and runs `prepare` in one short transaction, the send runs with no
 * transaction held, and the delivery is recorded as done afterwards (see
 * Inbox for what a retry does).
 *
 * Every attempt of a delivery sends the same message: the Message-ID and the
 * idempotency key come from the delivery's name, and `prepare` gets that name
 * to derive whatever it mints from it (a one-time token: see
 * IssueEmailVerificationTokenCommand), so a retry that prepares again renders
 * the first attempt's message byte for byte. A transport that de-duplicates
 * (Resend, an SMTP relay honouring SMTP_IDEMPOTENCY_HEADER) then sends it once;
 * plain SMTP still allows the one repeat it always had (a crash after the
 * server took the message in full), which the stable Message-ID lets a
 * receiver spot.
 *
 * Why derive rather than store the rendered message with the claim: the
 * message holds a live credential (the link's token), and herald keeps
 * tokens in Postgres only as hashes; a derived token needs no stored secret
 * beyond the server key that already signs access tokens, and no schema
 * change. The rest of a message is rendered from the user's row and the
 * configuration, which a retry seconds later reads the same.
 */
@Injectable()
export class EmailDelivery {
  constructor(
    private readonly inbox: Inbox,
    private readonly mailer: Mailer,
  ) {}

  /** `prepare` runs in the claim transaction; it returns null when there is nothing to send. */
  send(
    context: JobContext,
    prepare: (delivery: { readonly name: string }) => Promise<PreparedMail | null>,
    afterSend?: () => void,
  ): Promise<InboxOutcome> {
    const { key } = context.delivery;
    const name = deliveryNameOf(key);
    const messageId = `${name}@herald`;
    const idempotencyKey = idempotencyKeyOf(key);
    return this.inbox.deliverOnce(context.delivery, {
      prepare: () => prepare({ name }),
      perform: async (mail) => {
        await this.mailer.send({
          to: mail.to,
          ...mail.content,
          messageId,
          idempotencyKey,
          headers: { 'X-Herald-Event-Id': key.eventId, 'X-Herald-Mail-Kind': mail.kind },
        });
        afterSend?.();
      },
    });
  }

  /** Whether mail goes to files (the local default) rather than to a mail server or API. */
  get writesFiles(): boolean {
    return this.mailer.mode === 'file';
  }
}
