import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@herald/events';
import { WrongCurrentPasswordError } from '../../domain/domain-errors.js';
import { PasswordResetTokenRepository } from '../../infrastructure/one-time-token.repository.js';
import { PasswordHasher } from '../../infrastructure/password-hasher.js';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { ChangePasswordCommand } from './change-password.command.js';

/**
 * Changes the password of a signed-in user who knows the current one. Both
 * Argon2 runs happen before the transaction; under the user's lock the change
 * applies only if no other change came in between. Open reset links stop working.
 */
@CommandHandler(ChangePasswordCommand)
export class ChangePasswordHandler implements ICommandHandler<ChangePasswordCommand, void> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly resetTokens: PasswordResetTokenRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async execute(command: ChangePasswordCommand): Promise<void> {
    const user = await this.users.findById(command.userId);
    if (!user || !(await this.hasher.verify(user.passwordHash, command.currentPassword))) throw new WrongCurrentPasswordError();
    const passwordHash = await this.hasher.hash(command.newPassword);
    await this.uow.run(async () => {
      const now = new Date();
      const locked = await this.users.findByIdForUpdate(command.userId);
      // Changed by someone else since we checked the current password: that one is no longer current.
      if (!locked || locked.credentialsVersion !== user.credentialsVersion) throw new WrongCurrentPasswordError();
      locked.changePassword(passwordHash, now);
      await this.users.save(locked);
      await this.resetTokens.revokeOpen(command.userId, now);
    });
  }
}
