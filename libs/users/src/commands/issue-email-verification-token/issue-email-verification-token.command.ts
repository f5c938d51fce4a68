import { Command } from '@nestjs/cqrs';

/** What a verification email needs: a fresh token (the raw value exists only here and in the email) and the recipient. */
export interface IssuedVerificationToken {
  readonly token: string;
  readonly email: string;
  readonly displayName: string | null;
  readonly expiresInHours: number;
}

/**
 * Mints a new email-verification token for a verification request that is
 * still open, revoking older tokens; null — nothing to send — when the user is
 * gone, already verified, or a later request superseded this one. The request
 * is the id of the event that asked for it (UserRegistered or
 * VerificationEmailRequested), so a replayed old event mints nothing. For the
 * context that sends the email, inside its own transaction (run it there).
 */
export class IssueEmailVerificationTokenCommand extends Command<IssuedVerificationToken | null> {
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
