import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  ChangePasswordCommand,
  ChangePasswordDto,
  GetCurrentUserQuery,
  REGISTRATION_ACCEPTED,
  RegisterUserCommand,
  RegisterUserDto,
  RegistrationAcceptedDto,
  ResendVerificationEmailCommand,
  ResendVerificationEmailDto,
  UserView,
  VerifyEmailCommand,
  VerifyEmailDto,
} from '@herald/users';
import { JwtAuthGuard, type AuthenticatedRequest } from '../auth/jwt-auth.guard.js';
import { RateLimit } from '../http/rate-limit.js';
import { ApiProblems, JSON_BODY_PROBLEMS } from '../openapi/index.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  /** Registers an account. The answer is the same whether or not the email is taken. */
  @Post()
  @RateLimit('register')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: RegistrationAcceptedDto })
  @ApiProblems(...JSON_BODY_PROBLEMS, 'INVALID_EMAIL', 'INVALID_PASSWORD', 'TOO_MANY_REQUESTS')
  async register(@Body() body: RegisterUserDto): Promise<RegistrationAcceptedDto> {
    await this.commands.execute(new RegisterUserCommand(body.email, body.password, body.displayName));
    return REGISTRATION_ACCEPTED;
  }

  /** Confirms the email address with the token from the verification link. */
  @Post('verify-email')
  @RateLimit('verify')
  @HttpCode(200)
  @ApiOkResponse({ type: UserView })
  @ApiProblems(...JSON_BODY_PROBLEMS, 'INVALID_VERIFICATION_TOKEN', 'TOO_MANY_REQUESTS')
  verifyEmail(@Body() body: VerifyEmailDto): Promise<UserView> {
    return this.commands.execute(new VerifyEmailCommand(body.token));
  }

  /** Sends a new verification link (older ones stop working). Always the same answer. */
  @Post('verification-email')
  @RateLimit('resend')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: RegistrationAcceptedDto })
  @ApiProblems(...JSON_BODY_PROBLEMS, 'INVALID_EMAIL', 'TOO_MANY_REQUESTS')
  async resendVerificationEmail(@Body() body: ResendVerificationEmailDto): Promise<RegistrationAcceptedDto> {
    await this.commands.execute(new ResendVerificationEmailCommand(body.email));
    return REGISTRATION_ACCEPTED;
  }

  @Get('me')
  @UseGuards(JwtAuthGuard)
  @ApiBearerAuth()
  @ApiOkResponse({ type: UserView })
  // USER_NOT_FOUND: the account went away between the token check and the read.
  @ApiProblems('UNAUTHENTICATED', 'USER_NOT_FOUND')
  me(@Req() request: AuthenticatedRequest): Promise<UserView> {
    return this.queries.execute(new GetCurrentUserQuery(request.auth.userId));
  }

  /** Changes the password of the signed-in user; every access token issued before stops working. */
  @Post('me/password')
  @UseGuards(JwtAuthGuard)
  @RateLimit('change-password')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'The password was changed' })
  @ApiProblems(...JSON_BODY_PROBLEMS, 'INVALID_PASSWORD', 'UNAUTHENTICATED', 'INVALID_CURRENT_PASSWORD', 'TOO_MANY_REQUESTS')
  async changePassword(@Req() request: AuthenticatedRequest, @Body() body: ChangePasswordDto): Promise<void> {
    await this.commands.execute(new ChangePasswordCommand(request.auth.userId, body.currentPassword, body.newPassword));
  }
}
