import { EmailAddressField } from '../email-field.js';

export class ResendVerificationEmailDto {
  @EmailAddressField()
  email!: string;
}
