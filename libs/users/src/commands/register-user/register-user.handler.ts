import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { v7 as uuidv7 } from 'uuid';
import { UnitOfWork } from '@herald/events';
import { User } from '../../domain/user.aggregate.js';
import { PasswordHasher } from '../../infrastructure/password-hasher.js';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { RegisterUserCommand } from './register-user.command.js';

/**
 * Registers a user, or, when the email is taken, records an attempt that
 * sends the owner a notice. Both paths hash the password and return nothing,
 * so a caller cannot tell them apart (no account enumeration).
 */
@CommandHandler(RegisterUserCommand)
export class RegisterUserHandler implements ICommandHandler<RegisterUserCommand, void> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async execute(command: RegisterUserCommand): Promise<void> {
    const passwordHash = await this.hasher.hash(command.password);
    await this.uow.run(async () => {
      const user = User.register({
        id: uuidv7(),
        email: command.email,
        passwordHash,
        displayName: command.displayName,
        now: new Date(),
      });
      if (await this.users.insertIfEmailFree(user)) return;
      const existing = await this.users.findByEmail(command.email.value);
      if (existing) {
        existing.noteRegistrationAttempt();
        await this.users.save(existing);
      }
    });
  }
}
