import { EmailAddress } from '../../domain/email-address.js';
import { assertAcceptablePassword } from '../../domain/password-policy.js';

/** Validated at construction: a bad input never reaches the handler. */
export class RegisterUserCommand {
  readonly email: EmailAddress;
  readonly displayName: string | null;

  constructor(
    email: string,
    readonly password: string,
    displayName?: string | null,
  ) {
    this.email = EmailAddress.parse(email);
    assertAcceptablePassword(password);
    const trimmed = displayName?.trim() ?? '';
    // Cut by code points, never in the middle of a character.
    this.displayName = trimmed.length > 0 ? [...trimmed].slice(0, 100).join('') : null;
  }
}
