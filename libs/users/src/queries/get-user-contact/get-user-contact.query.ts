import { Query } from '@nestjs/cqrs';

/** Where to write to a user: for other contexts (the notifications), never the password hash. */
export interface UserContact {
  readonly email: string;
  readonly displayName: string | null;
}

/** The user's current address and name, or null when the user no longer exists. */
export class GetUserContactQuery extends Query<UserContact | null> {
  constructor(readonly userId: string) {
    super();
  }
}
