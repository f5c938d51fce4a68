import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HeraldConfig } from '@herald/config';
import { OwnsTables } from '@herald/database';
import { BoundedContext } from '@herald/events';
import { ChangePasswordHandler } from './commands/change-password/change-password.handler.js';
import { ConfirmPasswordResetHandler } from './commands/confirm-password-reset/confirm-password-reset.handler.js';
import { IssueEmailVerificationTokenHandler } from './commands/issue-email-verification-token/issue-email-verification-token.handler.js';
import { IssuePasswordResetTokenHandler } from './commands/issue-password-reset-token/issue-password-reset-token.handler.js';
import { LogInHandler } from './commands/log-in/log-in.handler.js';
import { RegisterUserHandler } from './commands/register-user/register-user.handler.js';
import { ResolveAccountRequestHandler } from './commands/resolve-account-request/resolve-account-request.handler.js';
import { AccountRequestJobs } from './commands/resolve-account-request/resolve-account-request.job.js';
import { RequestPasswordResetHandler } from './commands/request-password-reset/request-password-reset.handler.js';
import { ResendVerificationEmailHandler } from './commands/resend-verification-email/resend-verification-email.handler.js';
import { VerifyEmailHandler } from './commands/verify-email/verify-email.handler.js';
import { userEvents } from './domain/events/user-events.js';
import { AccessTokens } from './infrastructure/access-tokens.js';
import { usersMigrations } from './migrations/index.js';
import { AccountRequestRecord } from './infrastructure/account-request.record.js';
import { AccountRequestRepository } from './infrastructure/account-request.repository.js';
import { EmailVerificationTokenRecord } from './infrastructure/email-verification-token.record.js';
import { PasswordHasher } from './infrastructure/password-hasher.js';
import { UserRecord } from './infrastructure/user.record.js';
import { UserRepository } from './infrastructure/user.repository.js';
import { PasswordResetTokenRepository, VerificationTokenRepository } from './infrastructure/one-time-token.repository.js';
import { PasswordResetTokenRecord } from './infrastructure/password-reset-token.record.js';
import { TokenRetention } from './infrastructure/token-retention.js';
import { GetCurrentUserHandler } from './queries/get-current-user/get-current-user.handler.js';
import { GetUserContactHandler } from './queries/get-user-contact/get-user-contact.handler.js';
import { UserActivityTelemetry } from './telemetry/user-activity.telemetry.js';

/**
 * The users context: accounts, credentials, verification. Its public surface
 * (index.ts) is its commands, queries and events; it knows nothing of email.
 * Requests that name an address are resolved by its own job in the worker
 * (queue "accounts"). Needs EventsModule.
 */
@BoundedContext({ name: 'users', events: userEvents })
@OwnsTables(usersMigrations)
@Module({
  imports: [
    TypeOrmModule.forFeature([UserRecord, EmailVerificationTokenRecord, PasswordResetTokenRecord, AccountRequestRecord]),
    JwtModule.registerAsync({
      inject: [HeraldConfig],
      useFactory: (config: HeraldConfig) => ({
        secret: config.auth.jwtSecret,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  providers: [
    UserRepository,
    AccountRequestRepository,
    VerificationTokenRepository,
    PasswordResetTokenRepository,
    PasswordHasher,
    AccessTokens,
    RegisterUserHandler,
    ResolveAccountRequestHandler,
    AccountRequestJobs,
    VerifyEmailHandler,
    ResendVerificationEmailHandler,
    LogInHandler,
    IssueEmailVerificationTokenHandler,
    RequestPasswordResetHandler,
    IssuePasswordResetTokenHandler,
    ConfirmPasswordResetHandler,
    ChangePasswordHandler,
    GetCurrentUserHandler,
    GetUserContactHandler,
    UserActivityTelemetry,
    TokenRetention,
  ],
  exports: [AccessTokens],
})
export class UsersModule {}
