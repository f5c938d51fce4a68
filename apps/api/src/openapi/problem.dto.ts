import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PROBLEM_CODES, type ProblemCode } from '../http/problem-codes.js';

@ApiSchema({ name: 'FieldErrors' })
export class FieldErrorsDto {
  @ApiProperty({ description: 'The field, dotted for nested ones', example: 'password' })
  field!: string;
  @ApiProperty({ type: [String], example: ['password must be longer than or equal to 12 characters'] })
  messages!: string[];
}

/** The one schema of every error answer: RFC 9457 problem details plus herald's stable `code`. */
@ApiSchema({ name: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' })
export class ProblemDto {
  @ApiProperty({
    format: 'uri',
    description: 'Identifies the problem type; one per code',
    example: 'https://herald.dev/problems/invalid-credentials',
  })
  type!: string;
  @ApiProperty({ description: 'Short summary of the status', example: 'Unauthenticated' })
  title!: string;
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 401 })
  status!: number;
  @ApiProperty({
    enum: PROBLEM_CODES,
    enumName: 'ProblemCode',
    description: 'Stable, machine-readable code: branch on this, not on `title` or `detail`',
  })
  code!: ProblemCode;
  @ApiPropertyOptional({ description: 'Human-readable explanation of this occurrence' })
  detail?: string;
  @ApiPropertyOptional({ description: 'The request path', example: '/auth/login' })
  instance?: string;
  @ApiPropertyOptional({ description: 'The request id (also in the X-Request-Id header); quote it when reporting a problem' })
  correlationId?: string;
  @ApiPropertyOptional({ type: [FieldErrorsDto], description: 'Every invalid field (code VALIDATION_FAILED)' })
  errors?: FieldErrorsDto[];
}
