import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { GetUserContactQuery, type UserContact } from './get-user-contact.query.js';

@QueryHandler(GetUserContactQuery)
export class GetUserContactHandler implements IQueryHandler<GetUserContactQuery> {
  constructor(private readonly users: UserRepository) {}

  async execute(query: GetUserContactQuery): Promise<UserContact | null> {
    const user = await this.users.findById(query.userId);
    return user ? { email: user.email, displayName: user.displayName } : null;
  }
}
