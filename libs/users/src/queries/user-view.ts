import { ApiProperty } from '@nestjs/swagger';
import type { User } from '../domain/user.aggregate.js';

/** What the API shows of a user. Never the password hash. */
export class UserView {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty()
  email!: string;
  @ApiProperty({ nullable: true, type: String })
  displayName!: string | null;
  @ApiProperty()
  emailVerified!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  emailVerifiedAt!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export function toUserView(user: User): UserView {
  const s = user.snapshot;
  return {
    id: s.id,
    email: s.email,
    displayName: s.displayName,
    emailVerified: s.emailVerifiedAt !== null,
    emailVerifiedAt: s.emailVerifiedAt?.toISOString() ?? null,
    createdAt: s.createdAt.toISOString(),
  };
}
