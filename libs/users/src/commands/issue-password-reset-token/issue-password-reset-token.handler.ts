import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { HeraldConfig } from '@herald/config';
import { UnitOfWork } from '@herald/events';
import { deriveOneTimeToken, oneTimeTokenKey } from '../../domain/one-time-token.js';
import { PasswordResetTokenRepository } from '../../infrastructure/one-time-token.repository.js';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { IssuePasswordResetTokenCommand, type IssuedResetToken } from './issue-password-reset-token.command.js';

/**
 * Under the user's row lock, like every token change of one user: two requests
 * at once leave one open link, and a request a password change (or a newer
 * request) closed meanwhile mints none.
 */
@CommandHandler(IssuePasswordResetTokenCommand)
export class IssuePasswordResetTokenHandler implements ICommandHandler<IssuePasswordResetTokenCommand> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly tokens: PasswordResetTokenRepository,
    private readonly config: HeraldConfig,
  ) {}

  execute(command: IssuePasswordResetTokenCommand): Promise<IssuedResetToken | null> {
    return this.uow.run(async () => {
      const user = await this.users.findByIdForUpdate(command.userId);
      if (!user || !user.isPasswordResetRequestOpen(command.requestId)) return null;
      const expiresInMinutes = this.config.auth.passwordResetTokenTtlMinutes;
      const derived = command.deliveryName
        ? deriveOneTimeToken(oneTimeTokenKey(this.config.auth.jwtSecret), `password-reset\0${command.deliveryName}`)
        : undefined;
      const minted = await this.tokens.mintFor(user.id, expiresInMinutes * 60_000, new Date(), derived);
      if (!minted) return null; // this delivery's link was used, replaced or expired: it did its work
      const { token } = minted;
      return { token, email: user.email, displayName: user.displayName, expiresInMinutes };
    });
  }
}
