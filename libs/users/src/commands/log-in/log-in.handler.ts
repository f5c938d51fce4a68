import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EmailNotVerifiedError, InvalidCredentialsError } from '../../domain/domain-errors.js';
import { AccessTokens } from '../../infrastructure/access-tokens.js';
import { PasswordHasher } from '../../infrastructure/password-hasher.js';
import { UserRepository } from '../../infrastructure/user.repository.js';
import type { AccessTokenDto } from './log-in.dto.js';
import { LogInCommand } from './log-in.command.js';

/**
 * Checks the password (against a decoy hash for unknown emails, so timing
 * does not reveal accounts) and issues a JWT. Unverified accounts are refused
 * only after a correct password, so the refusal reveals nothing to strangers.
 */
@CommandHandler(LogInCommand)
export class LogInHandler implements ICommandHandler<LogInCommand, AccessTokenDto> {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly accessTokens: AccessTokens,
  ) {}

  async execute(command: LogInCommand): Promise<AccessTokenDto> {
    const user = await this.users.findByEmail(command.email.trim().toLowerCase());
    const passwordOk = await this.hasher.verify(user?.passwordHash ?? null, command.password);
    if (!user || !passwordOk) throw new InvalidCredentialsError();
    if (!user.isEmailVerified) throw new EmailNotVerifiedError();
    return this.accessTokens.issue(user);
  }
}
