import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HeraldConfig } from '@herald/config';
import { MailModule } from '@herald/mail';
import { LogInHandler } from './commands/log-in/log-in.handler.js';
import { RegisterUserHandler } from './commands/register-user/register-user.handler.js';
import { ResendVerificationEmailHandler } from './commands/resend-verification-email/resend-verification-email.handler.js';
import { VerifyEmailHandler } from './commands/verify-email/verify-email.handler.js';
import { UserEmailJobs } from './email-jobs/user-email-jobs.js';
import { AccessTokens } from './infrastructure/access-tokens.js';
import { EmailVerificationTokenRecord } from './infrastructure/email-verification-token.record.js';
import { PasswordHasher } from './infrastructure/password-hasher.js';
import { UserRecord } from './infrastructure/user.record.js';
import { UserRepository } from './infrastructure/user.repository.js';
import { VerificationTokenRepository } from './infrastructure/verification-token.repository.js';
import { GetCurrentUserHandler } from './queries/get-current-user/get-current-user.handler.js';

const persistence = [TypeOrmModule.forFeature([UserRecord, EmailVerificationTokenRecord])];
const repositories = [UserRepository, VerificationTokenRepository];

/** Commands and queries of the users context (used by the API). Needs EventsModule. */
@Module({
  imports: [
    ...persistence,
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
    ...repositories,
    PasswordHasher,
    AccessTokens,
    RegisterUserHandler,
    VerifyEmailHandler,
    ResendVerificationEmailHandler,
    LogInHandler,
    GetCurrentUserHandler,
  ],
  exports: [AccessTokens],
})
export class UsersModule {}

/** The email-job use cases of the users context (used by the worker). Needs EventsModule. */
@Module({
  imports: [...persistence, MailModule],
  providers: [...repositories, UserEmailJobs],
  exports: [UserEmailJobs],
})
export class UsersEmailJobsModule {}
