export { UsersModule } from './users.module.js';
// Commands, queries and their HTTP DTOs
export { LogInCommand } from './commands/log-in/log-in.command.js';
export { AccessTokenDto, LogInDto } from './commands/log-in/log-in.dto.js';
export { RegisterUserCommand } from './commands/register-user/register-user.command.js';
export { REGISTRATION_ACCEPTED, RegisterUserDto, RegistrationAcceptedDto } from './commands/register-user/register-user.dto.js';
export { ResendVerificationEmailCommand } from './commands/resend-verification-email/resend-verification-email.command.js';
export { ResendVerificationEmailDto } from './commands/resend-verification-email/resend-verification-email.dto.js';
export { VerifyEmailCommand } from './commands/verify-email/verify-email.command.js';
export { VerifyEmailDto } from './commands/verify-email/verify-email.dto.js';
export { RequestPasswordResetCommand } from './commands/request-password-reset/request-password-reset.command.js';
export {
  PASSWORD_RESET_REQUESTED,
  PasswordResetRequestedDto,
  RequestPasswordResetDto,
} from './commands/request-password-reset/request-password-reset.dto.js';
export { ConfirmPasswordResetCommand } from './commands/confirm-password-reset/confirm-password-reset.command.js';
export { ConfirmPasswordResetDto } from './commands/confirm-password-reset/confirm-password-reset.dto.js';
export { ChangePasswordCommand } from './commands/change-password/change-password.command.js';
export { ChangePasswordDto } from './commands/change-password/change-password.dto.js';
export {
  ResolveAccountRequestCommand,
  type AccountRequestOutcome,
} from './commands/resolve-account-request/resolve-account-request.command.js';
export {
  AccountRequestJobs,
  AccountsQueue,
  ResolveAccountRequest,
} from './commands/resolve-account-request/resolve-account-request.job.js';
export { GetCurrentUserQuery } from './queries/get-current-user/get-current-user.query.js';
export { UserView } from './queries/user-view.js';
// Domain
export { EmailNotVerifiedError, InvalidCredentialsError, type UserErrorCode } from './domain/domain-errors.js';
export * from './domain/events/user-events.js';
export { User } from './domain/user.aggregate.js';
export { ACCOUNT_REQUEST_KINDS, type AccountRequestKind } from './domain/account-request-kind.js';
// For other contexts
export {
  IssueEmailVerificationTokenCommand,
  type IssuedVerificationToken,
} from './commands/issue-email-verification-token/issue-email-verification-token.command.js';
export {
  IssuePasswordResetTokenCommand,
  type IssuedResetToken,
} from './commands/issue-password-reset-token/issue-password-reset-token.command.js';
export { GetUserContactQuery, type UserContact } from './queries/get-user-contact/get-user-contact.query.js';
export { AccessTokens, type AccessTokenClaims } from './infrastructure/access-tokens.js';
export { UserRecord } from './infrastructure/user.record.js';
export { AccountRequestRecord } from './infrastructure/account-request.record.js';
export { EmailVerificationTokenRecord } from './infrastructure/email-verification-token.record.js';
export { PasswordResetTokenRecord } from './infrastructure/password-reset-token.record.js';
export { PruneUserTokens, TokenRetention } from './infrastructure/token-retention.js';
