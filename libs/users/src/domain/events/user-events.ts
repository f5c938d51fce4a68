import { DomainEvent } from '@herald/events';
import type { AccountRequestKind } from '../account-request-kind.js';

/**
 * Someone sent an address to an endpoint that must not reveal whether it has an
 * account (register, resend verification, password reset). The request is
 * recorded the same way either way; the worker decides off the request path what
 * it means (ResolveAccountRequestHandler) and raises one of the events below, or none.
 * The aggregate is the request (its row holds the address until then).
 */
export class AccountRequestReceived extends DomainEvent<{ kind: AccountRequestKind }> {
  static readonly eventType = 'users.AccountRequestReceived';
  static readonly schemaVersion = 1;
}

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
  AccountRequestReceived,
  UserRegistered,
  EmailVerified,
  VerificationEmailRequested,
  RegistrationAttemptedForExistingEmail,
  PasswordResetRequested,
  PasswordChanged,
];
