import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@herald/events';
import { InvalidVerificationTokenError } from '../../domain/domain-errors.js';
import { isTokenUsable, parseOneTimeToken, verifierMatches } from '../../domain/one-time-token.js';
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
    const parts = parseOneTimeToken(command.token);
    if (!parts) throw new InvalidVerificationTokenError();
    return this.uow.run(async () => {
      const now = new Date();
      const found = await this.tokens.findBySelector(parts.selector);
      if (!found || !verifierMatches(parts.verifier, found.verifierHash)) throw new InvalidVerificationTokenError();
      // Locks in the order the email worker takes them when it mints a token — the user's row, then the
      // tokens — so the two never deadlock; under the user's lock the token's state is final.
      const user = await this.users.findByIdForUpdate(found.userId);
      if (!user) throw new InvalidVerificationTokenError();
      const token = await this.tokens.findBySelectorForUpdate(parts.selector);
      if (!token || !isTokenUsable(token, now)) throw new InvalidVerificationTokenError();
      await this.tokens.markUsed(token, now);
      user.verifyEmail(now);
      await this.users.save(user);
      return toUserView(user);
    });
  }
}
