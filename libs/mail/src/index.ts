export { MailModule } from './mail.module.js';
export { Mailer, type OutgoingMail, type SentMail } from './mailer.js';
export { escapeHtml } from './templates/html.js';
export { accountExistsNotice, verificationEmail, welcomeEmail, type RenderedMail } from './templates/templates.js';
