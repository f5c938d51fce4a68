import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { v7 as uuidv7 } from 'uuid';
import { UnitOfWork } from '@herald/events';
import type { AccountRequest } from '../../domain/account-request.js';
import { EmailAddress } from '../../domain/email-address.js';
import { User } from '../../domain/user.aggregate.js';
import { AccountRequestRepository } from '../../infrastructure/account-request.repository.js';
import { UserRepository } from '../../infrastructure/user.repository.js';
import { ResolveAccountRequestCommand, type AccountRequestOutcome } from './resolve-account-request.command.js';

/**
 * Decides what an account request means, now that no caller waits for the
 * answer: here, and only here, does an address meet the users table. In one
 * transaction it takes the request out (its row, and with it the address, is
 * deleted) and raises the real event: UserRegistered or
 * RegistrationAttemptedForExistingEmail, VerificationEmailRequested,
 * PasswordResetRequested — or nothing, for an address without an account.
 * A redelivered job finds no request and does nothing: each is resolved once.
 */
@CommandHandler(ResolveAccountRequestCommand)
export class ResolveAccountRequestHandler implements ICommandHandler<ResolveAccountRequestCommand, AccountRequestOutcome> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: AccountRequestRepository,
    private readonly users: UserRepository,
  ) {}

  execute(command: ResolveAccountRequestCommand): Promise<AccountRequestOutcome> {
    return this.uow.run(async () => {
      const request = await this.requests.take(command.requestId);
      if (!request) return 'duplicate';
      switch (request.kind) {
        case 'registration':
          return this.register(request);
        case 'verification-email':
          return this.requestVerificationEmail(request);
        case 'password-reset':
          return this.requestPasswordReset(request);
      }
    });
  }

  /** Creates the account, or, when the address is taken, notes the attempt (its owner gets a notice). */
  private async register(request: AccountRequest): Promise<AccountRequestOutcome> {
    const { passwordHash, displayName } = request.state;
    if (passwordHash === null) throw new Error(`account request ${request.id}: a registration without a password hash`);
    const now = new Date();
    const user = User.register({ id: uuidv7(), email: EmailAddress.parse(request.email), passwordHash, displayName, now });
    if (await this.users.insertIfEmailFree(user)) return 'processed';
    const existing = await this.users.findByEmail(request.email);
    if (!existing) return 'skipped'; // deleted between the two statements
    existing.noteRegistrationAttempt();
    await this.users.save(existing);
    return 'processed';
  }

  /** Under the user's row lock: the save writes the open request, and must not overwrite a concurrent change. */
  private async requestVerificationEmail(request: AccountRequest): Promise<AccountRequestOutcome> {
    const user = await this.users.findByEmailForUpdate(request.email);
    if (!user || user.isEmailVerified) return 'skipped';
    user.requestVerificationEmail(new Date());
    await this.users.save(user);
    return 'processed';
  }

  private async requestPasswordReset(request: AccountRequest): Promise<AccountRequestOutcome> {
    const user = await this.users.findByEmailForUpdate(request.email);
    if (!user) return 'skipped';
    user.requestPasswordReset(new Date());
    await this.users.save(user);
    return 'processed';
  }
}
