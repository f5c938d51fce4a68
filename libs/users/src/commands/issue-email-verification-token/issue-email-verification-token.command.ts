import { Command } from '@nestjs/cqrs';

/** What a verification email needs: a fresh token (the raw value exists only here and in the email) and the recipient. */
export interface IssuedVerificationToken {
  readonly token: string;
  readonly email: string;
  readonly displayName: string | null;
  readonly expiresInHours: number;
}

/**
 * Mints a new email-verification token for a user who has not verified yet,
 * revoking older ones; null when the user is gone or already verified. For the
 * context that sends the email, inside its own transaction (run it there).
 */
export class IssueEmailVerificationTokenCommand extends Command<IssuedVerificationToken | null> {
  constructor(readonly userId: string) {
    super();
  }
}
