import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { HeraldConfig } from '@herald/config';
import { UnitOfWork } from '@herald/events';
import { deriveOneTimeToken, oneTimeTokenKey } from '../../domain/one-time-token.js';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { VerificationTokenRepository } from '../../infrastructure/one-time-token.repository.js';
import { IssueEmailVerificationTokenCommand, type IssuedVerificationToken } from './issue-email-verification-token.command.js';

/**
 * Locks the user's row for the rest of the caller's transaction: every token
 * change of one user (minting here, using one in VerifyEmailHandler) happens
 * in turn, so two emails at once leave one open token, and a user who verified
 * meanwhile, or asked again since, gets no token for this request (and no email).
 */
@CommandHandler(IssueEmailVerificationTokenCommand)
export class IssueEmailVerificationTokenHandler implements ICommandHandler<IssueEmailVerificationTokenCommand> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly tokens: VerificationTokenRepository,
    private readonly config: HeraldConfig,
  ) {}

  execute(command: IssueEmailVerificationTokenCommand): Promise<IssuedVerificationToken | null> {
    return this.uow.run(async () => {
      const user = await this.users.findByIdForUpdate(command.userId);
      if (!user || !user.isVerificationRequestOpen(command.requestId)) return null;
      const expiresInHours = this.config.auth.verificationTokenTtlHours;
      const derived = command.deliveryName
        ? deriveOneTimeToken(oneTimeTokenKey(this.config.auth.jwtSecret), `verification\0${command.deliveryName}`)
        : undefined;
      const minted = await this.tokens.mintFor(user.id, expiresInHours * 3_600_000, new Date(), derived);
      if (!minted) return null; // this delivery's link was used, replaced or expired: it did its work
      const { token } = minted;
      return { token, email: user.email, displayName: user.displayName, expiresInHours };
    });
  }
}
