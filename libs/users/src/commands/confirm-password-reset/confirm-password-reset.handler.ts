import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@herald/events';
import { InvalidResetTokenError } from '../../domain/domain-errors.js';
import { PasswordResetTokenRepository, VerificationTokenRepository } from '../../infrastructure/one-time-token.repository.js';
import { PasswordHasher } from '../../infrastructure/password-hasher.js';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { ConfirmPasswordResetCommand } from './confirm-password-reset.command.js';

/**
 * Uses a reset token once to set a new password. Unknown, tampered, used,
 * replaced and expired tokens all get the same error. The new password is
 * hashed before the transaction (Argon2 takes tens of milliseconds: no row
 * lock waits for it); under the user's lock the token is checked again, used,
 * and the user's other reset links are revoked. The link came by email, so it
 * proves the mailbox: an unverified address becomes verified, and its open
 * verification links are revoked (they would verify nothing more).
 */
@CommandHandler(ConfirmPasswordResetCommand)
export class ConfirmPasswordResetHandler implements ICommandHandler<ConfirmPasswordResetCommand, void> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly tokens: PasswordResetTokenRepository,
    private readonly verificationTokens: VerificationTokenRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async execute(command: ConfirmPasswordResetCommand): Promise<void> {
    const found = await this.tokens.findRedeemable(command.token, new Date());
    if (!found) throw new InvalidResetTokenError();
    const passwordHash = await this.hasher.hash(command.newPassword);
    await this.uow.run(async () => {
      const now = new Date();
      const user = await this.users.findByIdForUpdate(found.userId);
      if (!user || !(await this.tokens.redeem(found, now))) throw new InvalidResetTokenError();
      if (!user.isEmailVerified) await this.verificationTokens.revokeOpen(user.id, now);
      user.resetPassword(passwordHash, now);
      await this.users.save(user);
    });
  }
}
