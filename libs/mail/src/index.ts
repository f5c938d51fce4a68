export { MailDeliveryError, type MailFailureKind } from './mail-delivery-error.js';
export { MailModule } from './mail.module.js';
export { Mailer, type OutgoingMail, type SentMail } from './mailer.js';
