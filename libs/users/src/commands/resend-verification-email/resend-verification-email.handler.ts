import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@herald/events';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { ResendVerificationEmailCommand } from './resend-verification-email.command.js';

/**
 * Requests a new verification email for an unverified account. Unknown and
 * already verified addresses are silently ignored (no account enumeration).
 */
@CommandHandler(ResendVerificationEmailCommand)
export class ResendVerificationEmailHandler implements ICommandHandler<ResendVerificationEmailCommand, void> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
  ) {}

  async execute(command: ResendVerificationEmailCommand): Promise<void> {
    await this.uow.run(async () => {
      const user = await this.users.findByEmail(command.email.value);
      if (!user || user.isEmailVerified) return;
      user.requestVerificationEmail();
      await this.users.save(user);
    });
  }
}
