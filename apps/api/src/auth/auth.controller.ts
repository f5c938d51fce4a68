import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AccessTokenDto, LogInCommand, LogInDto } from '@herald/users';
import { RateLimit } from '../http/rate-limit.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly commands: CommandBus) {}

  /** Exchanges email and password of a verified account for a JWT. */
  @Post('login')
  @RateLimit('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AccessTokenDto })
  logIn(@Body() body: LogInDto): Promise<AccessTokenDto> {
    return this.commands.execute(new LogInCommand(body.email, body.password));
  }
}
