import { EmailAddress } from '../../domain/email-address.js';

/** Validated at construction: a bad address is a 400, never a 500. */
export class RequestPasswordResetCommand {
  readonly email: EmailAddress;
  constructor(email: string) {
    this.email = EmailAddress.parse(email);
  }
}
