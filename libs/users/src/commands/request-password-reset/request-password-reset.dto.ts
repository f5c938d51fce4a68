import { Transform } from 'class-transformer';
import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength } from 'class-validator';
import { trimString } from '../trim-string.js';

export class RequestPasswordResetDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(trimString)
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
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
