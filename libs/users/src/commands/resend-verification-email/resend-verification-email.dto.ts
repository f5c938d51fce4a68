import { Transform } from 'class-transformer';
import { trimString } from '../trim-string.js';
import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength } from 'class-validator';

export class ResendVerificationEmailDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(trimString)
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email!: string;
}
