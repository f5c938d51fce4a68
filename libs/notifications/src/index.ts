export { NotificationsModule } from './notifications.module.js';
export {
  AccountEmails,
  SendAccountExistsNotice,
  SendPasswordChangedNotice,
  SendPasswordResetEmail,
  SendVerificationEmail,
  SendWelcomeEmail,
} from './account-emails.js';
export { EmailQueue } from './email-queue.js';
export { escapeHtml } from './templates/html.js';
