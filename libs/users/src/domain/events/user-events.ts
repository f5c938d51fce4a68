import { DomainEvent } from '@herald/events';

/** A new account was created; its owner must confirm the email address. */
export class UserRegistered extends DomainEvent<{ email: string; displayName: string | null }> {
  static readonly eventType = 'users.UserRegistered';
  static readonly schemaVersion = 1;
}

/** The owner proved control of the email address. */
export class EmailVerified extends DomainEvent<{ email: string }> {
  static readonly eventType = 'users.EmailVerified';
  static readonly schemaVersion = 1;
}

/** The owner asked for a new verification email (older links stop working). */
export class VerificationEmailRequested extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'users.VerificationEmailRequested';
  static readonly schemaVersion = 1;
}

/** Someone tried to register an email address that already has an account. */
export class RegistrationAttemptedForExistingEmail extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'users.RegistrationAttemptedForExistingEmail';
  static readonly schemaVersion = 1;
}

/** Someone asked to reset the account's password (older reset links stop working when the new one is made). */
export class PasswordResetRequested extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'users.PasswordResetRequested';
  static readonly schemaVersion = 1;
}

/** The password was changed (by the owner, or through a reset link): every earlier access token stopped working. */
export class PasswordChanged extends DomainEvent<Record<string, never>> {
  static readonly eventType = 'users.PasswordChanged';
  static readonly schemaVersion = 1;
}

export const userEvents = [
  UserRegistered,
  EmailVerified,
  VerificationEmailRequested,
  RegistrationAttemptedForExistingEmail,
  PasswordResetRequested,
  PasswordChanged,
];
