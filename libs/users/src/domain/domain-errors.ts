import { DomainError } from '@herald/events';

/** Every error code the users context raises: the HTTP edge maps each to a status. */
export type UserErrorCode =
  | 'INVALID_EMAIL'
  | 'INVALID_PASSWORD'
  | 'INVALID_VERIFICATION_TOKEN'
  | 'INVALID_RESET_TOKEN'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_CURRENT_PASSWORD'
  | 'EMAIL_NOT_VERIFIED'
  | 'USER_NOT_FOUND';

export class InvalidEmailError extends DomainError<UserErrorCode> {
  constructor() {
    super('INVALID_EMAIL', 'The email address is not valid.');
  }
}

export class InvalidPasswordError extends DomainError<UserErrorCode> {
  constructor(reason: string) {
    super('INVALID_PASSWORD', reason);
  }
}

export class InvalidVerificationTokenError extends DomainError<UserErrorCode> {
  constructor() {
    super('INVALID_VERIFICATION_TOKEN', 'The verification link is invalid, already used or expired.');
  }
}

export class InvalidResetTokenError extends DomainError<UserErrorCode> {
  constructor() {
    super('INVALID_RESET_TOKEN', 'The password reset link is invalid, already used, replaced or expired. Ask for a new one.');
  }
}

export class InvalidCredentialsError extends DomainError<UserErrorCode> {
  constructor() {
    super('INVALID_CREDENTIALS', 'The email address or password is wrong.');
  }
}

export class WrongCurrentPasswordError extends DomainError<UserErrorCode> {
  constructor() {
    super('INVALID_CURRENT_PASSWORD', 'The current password is wrong.');
  }
}

export class EmailNotVerifiedError extends DomainError<UserErrorCode> {
  constructor() {
    super('EMAIL_NOT_VERIFIED', 'Confirm your email address before signing in.');
  }
}

export class UserNotFoundError extends DomainError<UserErrorCode> {
  constructor() {
    super('USER_NOT_FOUND', 'The user does not exist.');
  }
}
