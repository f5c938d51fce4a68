import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { AccessTokenDto, EmailNotVerifiedError, InvalidCredentialsError, LogInCommand, LogInDto } from '@herald/users';
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
  @ApiTooManyRequestsResponse({ description: 'Too many failed log-ins from this client address (see Retry-After)' })
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
}
