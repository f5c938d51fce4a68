import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token from the verification link' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token!: string;
}
