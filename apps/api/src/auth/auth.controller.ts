import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  AccessTokenDto,
  ConfirmPasswordResetCommand,
  ConfirmPasswordResetDto,
  EmailNotVerifiedError,
  InvalidCredentialsError,
  LogInCommand,
  LogInDto,
  PASSWORD_RESET_REQUESTED,
  PasswordResetRequestedDto,
  RequestPasswordResetCommand,
  RequestPasswordResetDto,
} from '@herald/users';
import { RateLimit } from '../http/rate-limit.js';
import { ApiProblems, JSON_BODY_PROBLEMS } from '../openapi/index.js';
import { LoginThrottle } from './login-throttle.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly commands: CommandBus,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Exchanges email and password of a verified account for a JWT. */
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AccessTokenDto })
  // 429: too many failed log-ins for this account from this address, or from this address (LoginThrottle).
  @ApiProblems(...JSON_BODY_PROBLEMS, 'INVALID_CREDENTIALS', 'EMAIL_NOT_VERIFIED', 'TOO_MANY_REQUESTS')
  async logIn(@Body() body: LogInDto, @Ip() ip: string): Promise<AccessTokenDto> {
    const attempt = await this.throttle.admit(body.email, ip);
    try {
      const token = await this.commands.execute(new LogInCommand(body.email, body.password));
      await attempt.passwordAccepted();
      return token;
    } catch (error) {
      if (error instanceof InvalidCredentialsError) await attempt.failed();
      // The password was right; only the address is unconfirmed. Not a guess.
      if (error instanceof EmailNotVerifiedError) await attempt.passwordAccepted();
      throw error;
    }
  }

  /**
   * Mails the account's owner a link to choose a new password (older links stop
   * working). The same answer whether or not the account exists.
   */
  @Post('password-reset')
  @RateLimit('password-reset')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: PasswordResetRequestedDto })
  @ApiProblems(...JSON_BODY_PROBLEMS, 'INVALID_EMAIL', 'TOO_MANY_REQUESTS')
  async requestPasswordReset(@Body() body: RequestPasswordResetDto): Promise<PasswordResetRequestedDto> {
    await this.commands.execute(new RequestPasswordResetCommand(body.email));
    return PASSWORD_RESET_REQUESTED;
  }

  /**
   * Sets a new password with the token from the reset link. Every access token
   * issued before stops working; the owner gets a notice.
   */
  @Post('password-reset/confirm')
  @RateLimit('reset-confirm')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The password was changed' })
  @ApiProblems(...JSON_BODY_PROBLEMS, 'INVALID_RESET_TOKEN', 'INVALID_PASSWORD', 'TOO_MANY_REQUESTS')
  async confirmPasswordReset(@Body() body: ConfirmPasswordResetDto): Promise<void> {
    await this.commands.execute(new ConfirmPasswordResetCommand(body.token, body.newPassword));
  }
}
