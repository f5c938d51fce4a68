import { EmailAddressField } from '../email-field.js';
import { ApiProperty } from '@nestjs/swagger';

export class RequestPasswordResetDto {
  @EmailAddressField()
  email!: string;
}

export class PasswordResetRequestedDto {
  @ApiProperty({ example: 'accepted' })
  status!: 'accepted';

  @ApiProperty()
  message!: string;
}

/** The one answer to every well-formed request, whether or not the account exists (no enumeration). */
export const PASSWORD_RESET_REQUESTED: PasswordResetRequestedDto = {
  status: 'accepted',
  message: 'If an account uses this address, we sent it a link to choose a new password.',
};
