import { VerificationEmailOnRegistration } from './verification-email-on-registration.reaction.js';
import { VerificationEmailOnRequest } from './verification-email-on-request.reaction.js';
import { WelcomeEmailOnVerification } from './welcome-email-on-verification.reaction.js';
import { AccountExistsNoticeOnRegistrationAttempt } from './account-exists-notice-on-registration-attempt.reaction.js';
import { PasswordResetEmailOnRequest } from './password-reset-email-on-request.reaction.js';
import { PasswordChangedNoticeOnChange } from './password-changed-notice-on-change.reaction.js';

/**
 * The reactions of the notifications context, one per file: each turns one
 * event into one email job (the job and its handler are in account-emails.ts).
 * The module registers these as providers, where the platform finds them.
 */
export const ACCOUNT_EMAIL_REACTIONS = [
  VerificationEmailOnRegistration,
  VerificationEmailOnRequest,
  WelcomeEmailOnVerification,
  AccountExistsNoticeOnRegistrationAttempt,
  PasswordResetEmailOnRequest,
  PasswordChangedNoticeOnChange,
];
