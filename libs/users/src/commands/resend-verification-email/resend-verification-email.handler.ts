import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { v7 as uuidv7 } from 'uuid';
import { UnitOfWork } from '@herald/events';
import { AccountRequest } from '../../domain/account-request.js';
import { AccountRequestRepository } from '../../infrastructure/account-request.repository.js';
import { ResendVerificationEmailCommand } from './resend-verification-email.command.js';

/**
 * Records that someone asked for a new verification email for an address: the
 * same work for every address, unknown, unverified or verified (no account
 * enumeration, not even by timing). The worker raises VerificationEmailRequested
 * for an unverified account and nothing otherwise (ResolveAccountRequestHandler).
 */
@CommandHandler(ResendVerificationEmailCommand)
export class ResendVerificationEmailHandler implements ICommandHandler<ResendVerificationEmailCommand, void> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly requests: AccountRequestRepository,
  ) {}

  async execute(command: ResendVerificationEmailCommand): Promise<void> {
    await this.uow.run(() => this.requests.add(AccountRequest.verificationEmail({ id: uuidv7(), email: command.email, now: new Date() })));
  }
}
