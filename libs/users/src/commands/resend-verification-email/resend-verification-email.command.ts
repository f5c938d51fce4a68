import { EmailAddress } from '../../domain/email-address.js';

export class ResendVerificationEmailCommand {
  readonly email: EmailAddress;
  constructor(email: string) {
    this.email = EmailAddress.parse(email);
  }
}
