import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@herald/events';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { RequestPasswordResetCommand } from './request-password-reset.command.js';

/**
 * Records that the owner of an account asked for a reset link (the email and
 * its token come from the reaction). Unknown addresses are silently ignored:
 * the answer is the same either way.
 */
@CommandHandler(RequestPasswordResetCommand)
export class RequestPasswordResetHandler implements ICommandHandler<RequestPasswordResetCommand, void> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
  ) {}

  async execute(command: RequestPasswordResetCommand): Promise<void> {
    await this.uow.run(async () => {
      const user = await this.users.findByEmail(command.email.value);
      if (!user) return;
      user.requestPasswordReset();
      await this.users.save(user);
    });
  }
}
