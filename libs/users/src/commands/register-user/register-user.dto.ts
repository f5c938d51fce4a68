import { EmailAddressField } from '../email-field.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../domain/password-policy.js';
import { IsAcceptablePassword } from '../password-field.js';

export class RegisterUserDto {
  @EmailAddressField()
  email!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, format: 'password' })
  @IsString()
  @IsAcceptablePassword()
  password!: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  displayName?: string;
}

export class RegistrationAcceptedDto {
  @ApiProperty({ example: 'accepted' })
  status!: 'accepted';

  @ApiProperty()
  message!: string;
}

/** The one answer to every well-formed registration, taken email or not. */
export const REGISTRATION_ACCEPTED: RegistrationAcceptedDto = {
  status: 'accepted',
  message: 'Check your inbox: we sent an email to continue.',
};
