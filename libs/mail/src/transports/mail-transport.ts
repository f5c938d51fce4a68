/** One mail as a delivery hands it to the Mailer: every field fixed by the delivery's first claim, the same on every retry. */
export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Stable Message-ID (without brackets), so a receiver can spot a repeat. */
  readonly messageId: string;
  /** The same for every attempt of one delivery (idempotencyKeyOf); 1–256 characters, no personal data. */
  readonly idempotencyKey: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One message as a transport sends it: the mail with its sender and its headers settled by the Mailer. */
export interface TransportMessage extends OutgoingMail {
  readonly from: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The message as nodemailer takes it (the SMTP and the file transport), with any extra headers. */
export function nodemailerMessage(message: TransportMessage, extraHeaders: Readonly<Record<string, string>> = {}) {
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: `<${message.messageId}>`,
    headers: { ...message.headers, ...extraHeaders },
  };
}

/** What a transport reports for a message it handed on. */
export interface TransportReceipt {
  /** The provider's id of the message (Resend's email id), when it gives one. */
  readonly providerMessageId?: string;
  /** Where the message went: `smtp`, `resend`, or the .eml file written. */
  readonly destination: string;
}

/** How a transport treats a message sent again under the same idempotency key. */
export interface Deduplication {
  /** How long the provider remembers a key: a repeat after it is sent again. */
  readonly windowMs: number;
  /** Who de-duplicates, in words for the start-up log and the README. */
  readonly by: string;
}

/**
 * The port every mail transport implements. A transport sends one message or
 * throws (a MailDeliveryError, or a MailApiRefusal the Mailer reduces to one);
 * it declares whether a repeat of the same idempotency key is sent again
 * (`deduplication: null`) or recognised for `windowMs`.
 */
export abstract class MailTransport {
  abstract readonly name: 'smtp' | 'resend' | 'file';
  abstract readonly deduplication: Deduplication | null;
  abstract send(message: TransportMessage): Promise<TransportReceipt>;
  abstract close(): Promise<void> | void;
}

export const HOUR_MS = 3_600_000;
