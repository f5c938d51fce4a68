import { Command } from '@nestjs/cqrs';

/** What a password reset email needs: a fresh token (the raw value exists only here and in the email) and the recipient. */
export interface IssuedResetToken {
  readonly token: string;
  readonly email: string;
  readonly displayName: string | null;
  readonly expiresInMinutes: number;
}

/**
 * Mints a new password reset token for a reset request that is still open,
 * revoking older tokens; null — nothing to send — when the user is gone, a
 * later request superseded this one, or the credentials changed since it was
 * made (a used link changes them). The request is the id of its
 * PasswordResetRequested event, so a replayed old event mints nothing. For the
 * context that sends the email, inside its own transaction.
 */
export class IssuePasswordResetTokenCommand extends Command<IssuedResetToken | null> {
  constructor(
    readonly userId: string,
    readonly requestId: string,
    /**
     * The email delivery's stable name: the token is derived from it (deriveOneTimeToken), so every attempt of
     * that delivery sends the same link. Without it the token is random (a new one on every call).
     */
    readonly deliveryName?: string,
  ) {
    super();
  }
}
