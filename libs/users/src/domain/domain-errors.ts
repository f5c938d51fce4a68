/**
 * Errors the domain raises on purpose. `code` is stable and reaches API
 * clients in problem+json bodies; `status` is the HTTP status it maps to.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class InvalidEmailError extends DomainError {
  constructor() {
    super('INVALID_EMAIL', 'The email address is not valid.', 400);
  }
}

export class InvalidPasswordError extends DomainError {
  constructor(reason: string) {
    super('INVALID_PASSWORD', reason, 400);
  }
}

export class InvalidVerificationTokenError extends DomainError {
  constructor() {
    super('INVALID_VERIFICATION_TOKEN', 'The verification link is invalid, already used or expired.', 400);
  }
}

export class InvalidResetTokenError extends DomainError {
  constructor() {
    super('INVALID_RESET_TOKEN', 'The password reset link is invalid, already used, replaced or expired. Ask for a new one.', 400);
  }
}

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('INVALID_CREDENTIALS', 'The email address or password is wrong.', 401);
  }
}

export class WrongCurrentPasswordError extends DomainError {
  constructor() {
    super('INVALID_CURRENT_PASSWORD', 'The current password is wrong.', 401);
  }
}

export class EmailNotVerifiedError extends DomainError {
  constructor() {
    super('EMAIL_NOT_VERIFIED', 'Confirm your email address before signing in.', 403);
  }
}

export class UserNotFoundError extends DomainError {
  constructor() {
    super('USER_NOT_FOUND', 'The user does not exist.', 404);
  }
}
