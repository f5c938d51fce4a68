import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@herald/events';
import { InvalidVerificationTokenError } from '../../domain/domain-errors.js';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { VerificationTokenRepository } from '../../infrastructure/one-time-token.repository.js';
import { toUserView, type UserView } from '../../queries/user-view.js';
import { VerifyEmailCommand } from './verify-email.command.js';

/**
 * Uses a verification token once. Unknown, tampered, used, revoked and
 * expired tokens all get the same error.
 */
@CommandHandler(VerifyEmailCommand)
export class VerifyEmailHandler implements ICommandHandler<VerifyEmailCommand, UserView> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly tokens: VerificationTokenRepository,
  ) {}

  async execute(command: VerifyEmailCommand): Promise<UserView> {
    // Read before the transaction: a token that cannot be redeemed costs no transaction.
    const found = await this.tokens.findRedeemable(command.token, new Date());
    if (!found) throw new InvalidVerificationTokenError();
    return this.uow.run(async () => {
      const now = new Date();
      // The user's row first, then the token's (see redeem): under the user's lock the token's state is final.
      const user = await this.users.findByIdForUpdate(found.userId);
      if (!user || !(await this.tokens.redeem(found, now))) throw new InvalidVerificationTokenError();
      user.verifyEmail(now);
      await this.users.save(user);
      return toUserView(user);
    });
  }
}
