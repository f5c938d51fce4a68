import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { v7 as uuidv7 } from 'uuid';
import { UnitOfWork } from '@herald/events';
import { AccountRequest } from '../../domain/account-request.js';
import { AccountRequestRepository } from '../../infrastructure/account-request.repository.js';
import { PasswordHasher } from '../../infrastructure/password-hasher.js';
import { RegisterUserCommand } from './register-user.command.js';

/**
 * Accepts a registration: hashes the password and records the request, the
 * same work for every address, taken or free (no account enumeration, not even
 * by timing). The worker then creates the account, or, when the address is
 * taken, sends its owner a notice (ResolveAccountRequestHandler).
 */
@CommandHandler(RegisterUserCommand)
export class RegisterUserHandler implements ICommandHandler<RegisterUserCommand, void> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: AccountRequestRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async execute(command: RegisterUserCommand): Promise<void> {
    const passwordHash = await this.hasher.hash(command.password);
    // Made inside the transaction: its event records the transaction's trace context.
    await this.uow.run(() =>
      this.requests.add(
        AccountRequest.registration({
          id: uuidv7(),
          email: command.email,
          passwordHash,
          displayName: command.displayName,
          now: new Date(),
        }),
      ),
    );
  }
}
