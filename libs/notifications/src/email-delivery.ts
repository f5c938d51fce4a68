import { Injectable } from '@nestjs/common';
import { Inbox, type InboxOutcome } from '@herald/events';
import type { JobContext } from '@herald/jobs';
import { Mailer } from '@herald/mail';
import type { RenderedMail } from './templates/templates.js';

/** A mail ready to go: its recipient and its rendered content. */
export interface PreparedMail {
  readonly to: string;
  readonly kind: string;
  readonly content: RenderedMail;
}

/**
 * Sends one email for one (reaction, event) delivery, once: the inbox claims it
 * and runs `prepare` in one short transaction, the SMTP conversation runs with
 * no transaction held, and the delivery is recorded as done afterwards (see
 * Inbox for what a retry does). The Message-ID is stable per delivery, so a
 * receiver can spot the one repeat SMTP allows (a crash after the server took
 * the message in full).
 */
@Injectable()
export class EmailDelivery {
  constructor(
    private readonly inbox: Inbox,
    private readonly mailer: Mailer,
  ) {}

  /** `prepare` runs in the claim transaction; it returns null when there is nothing to send. */
  send(context: JobContext, prepare: () => Promise<PreparedMail | null>, afterSend?: () => void): Promise<InboxOutcome> {
    const { consumer, eventId, replayId } = context.delivery.key;
    // A replay's mail is a new message (a reprocess sends on purpose again), stable across its own retries.
    const messageId = `${consumer}.${eventId}${replayId ? `.r${replayId}` : ''}@herald`;
    return this.inbox.deliverOnce(context.delivery, {
      prepare,
      perform: async (mail) => {
        await this.mailer.send({
          to: mail.to,
          ...mail.content,
          messageId,
          headers: { 'X-Herald-Event-Id': eventId, 'X-Herald-Mail-Kind': mail.kind },
        });
        afterSend?.();
      },
    });
  }

  /** Whether mail goes to files (the local default) rather than to an SMTP server. */
  get writesFiles(): boolean {
    return this.mailer.mode === 'file';
  }
}
