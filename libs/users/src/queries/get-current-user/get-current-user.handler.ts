import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { UserNotFoundError } from '../../domain/domain-errors.js';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { toUserView, type UserView } from '../user-view.js';
import { GetCurrentUserQuery } from './get-current-user.query.js';

@QueryHandler(GetCurrentUserQuery)
export class GetCurrentUserHandler implements IQueryHandler<GetCurrentUserQuery, UserView> {
  constructor(private readonly users: UserRepository) {}

  async execute(query: GetCurrentUserQuery): Promise<UserView> {
    const user = await this.users.findById(query.userId);
    if (!user) throw new UserNotFoundError();
    return toUserView(user);
  }
}
