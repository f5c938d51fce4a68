import { Command } from '@nestjs/cqrs';

/** What a password reset email needs: a fresh token (the raw value exists only here and in the email) and the recipient. */
export interface IssuedResetToken {
  readonly token: string;
  readonly email: string;
  readonly displayName: string | null;
  readonly expiresInMinutes: number;
}

/**
 * Mints a new password reset token, revoking older ones; null when the user is
 * gone. For the context that sends the email, inside its own transaction.
 */
export class IssuePasswordResetTokenCommand extends Command<IssuedResetToken | null> {
  constructor(readonly userId: string) {
    super();
  }
}
