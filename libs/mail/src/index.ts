export { dedupWindowWarning, retrySpans, type RetrySpans } from './dedup-window.js';
export { IN_FLIGHT_RETRY_MS, MailApiRefusal, MailDeliveryError, type MailFailureKind } from './mail-delivery-error.js';
export { createMailTransport, MailModule } from './mail.module.js';
export { Mailer, type SentMail } from './mailer.js';
export { FileTransport } from './transports/file-transport.js';
export {
  MailTransport,
  type Deduplication,
  type OutgoingMail,
  type TransportMessage,
  type TransportReceipt,
} from './transports/mail-transport.js';
export { RESEND_IDEMPOTENCY_WINDOW_MS, ResendTransport, retryAfterMs } from './transports/resend-transport.js';
export { SmtpTransport } from './transports/smtp-transport.js';
