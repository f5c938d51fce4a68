import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { v7 as uuidv7 } from 'uuid';
import { UnitOfWork } from '@herald/events';
import { AccountRequest } from '../../domain/account-request.js';
import { AccountRequestRepository } from '../../infrastructure/account-request.repository.js';
import { RequestPasswordResetCommand } from './request-password-reset.command.js';

/**
 * Records that someone asked for a reset link for an address: the same work
 * for every address, known or not (no account enumeration, not even by
 * timing). The worker finds the account, if any, and raises
 * PasswordResetRequested (ResolveAccountRequestHandler); the email and its
 * token come from that event's reaction.
 */
@CommandHandler(RequestPasswordResetCommand)
export class RequestPasswordResetHandler implements ICommandHandler<RequestPasswordResetCommand, void> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: AccountRequestRepository,
  ) {}

  async execute(command: RequestPasswordResetCommand): Promise<void> {
    await this.uow.run(() => this.requests.add(AccountRequest.passwordReset({ id: uuidv7(), email: command.email, now: new Date() })));
  }
}
