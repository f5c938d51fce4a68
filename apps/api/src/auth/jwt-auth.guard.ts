import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { AccessTokens, type AccessTokenClaims } from '@herald/users';
import type { ProblemCode } from '../http/problem-codes.js';

export type AuthenticatedRequest = Request & { auth: AccessTokenClaims };

/** Requires `Authorization: Bearer <jwt>` with a valid access token. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly accessTokens: AccessTokens) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    const claims = scheme?.toLowerCase() === 'bearer' && token ? await this.accessTokens.verify(token) : null;
    if (!claims) {
      throw new UnauthorizedException({ code: 'UNAUTHENTICATED' satisfies ProblemCode, detail: 'A valid bearer token is required.' });
    }
    (request as AuthenticatedRequest).auth = claims;
    return true;
  }
}
