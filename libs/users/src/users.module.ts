import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HeraldConfig } from '@herald/config';
import { BoundedContext } from '@herald/events';
import { IssueEmailVerificationTokenHandler } from './commands/issue-email-verification-token/issue-email-verification-token.handler.js';
import { LogInHandler } from './commands/log-in/log-in.handler.js';
import { RegisterUserHandler } from './commands/register-user/register-user.handler.js';
import { ResendVerificationEmailHandler } from './commands/resend-verification-email/resend-verification-email.handler.js';
import { VerifyEmailHandler } from './commands/verify-email/verify-email.handler.js';
import { userEvents } from './domain/events/user-events.js';
import { AccessTokens } from './infrastructure/access-tokens.js';
import { EmailVerificationTokenRecord } from './infrastructure/email-verification-token.record.js';
import { PasswordHasher } from './infrastructure/password-hasher.js';
import { UserRecord } from './infrastructure/user.record.js';
import { UserRepository } from './infrastructure/user.repository.js';
import { VerificationTokenRepository } from './infrastructure/verification-token.repository.js';
import { GetCurrentUserHandler } from './queries/get-current-user/get-current-user.handler.js';
import { GetUserContactHandler } from './queries/get-user-contact/get-user-contact.handler.js';
import { UserActivityTelemetry } from './telemetry/user-activity.telemetry.js';

/**
 * The users context: accounts, credentials, verification. Its public surface
 * (index.ts) is its commands, queries and events; it knows nothing of email.
 * Needs EventsModule.
 */
@BoundedContext({ name: 'users', events: userEvents })
@Module({
  imports: [
    TypeOrmModule.forFeature([UserRecord, EmailVerificationTokenRecord]),
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
    VerificationTokenRepository,
    PasswordHasher,
    AccessTokens,
    RegisterUserHandler,
    VerifyEmailHandler,
    ResendVerificationEmailHandler,
    LogInHandler,
    IssueEmailVerificationTokenHandler,
    GetCurrentUserHandler,
    GetUserContactHandler,
    UserActivityTelemetry,
  ],
  exports: [AccessTokens],
})
export class UsersModule {}
