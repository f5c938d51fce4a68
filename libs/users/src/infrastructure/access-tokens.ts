import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { HeraldConfig } from '@herald/config';
import { UserRepository } from './user.repository.js';

export interface AccessTokenClaims {
  readonly userId: string;
}

/**
 * Issues and checks the API's JWT access tokens (HS256). A token carries the
 * user's credentials version (`ver`); a password change raises it, so every
 * token issued before is refused from then on — checked against Postgres on
 * every use (one indexed read; a token without `ver` counts as version 0).
 */
@Injectable()
export class AccessTokens {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: HeraldConfig,
    private readonly users: UserRepository,
  ) {}

  async issue(user: { id: string; credentialsVersion: number }): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number }> {
    const expiresIn = this.config.auth.jwtTtlSeconds;
    const accessToken = await this.jwt.signAsync({ sub: user.id, typ: 'access', ver: user.credentialsVersion }, { expiresIn });
    return { accessToken, tokenType: 'Bearer', expiresIn };
  }

  /** The claims of a valid, current token, or null for anything else (expired, forged, malformed, issued before a password change). */
  async verify(token: string): Promise<AccessTokenClaims | null> {
    let payload: { sub?: unknown; typ?: unknown; ver?: unknown };
    try {
      payload = await this.jwt.verifyAsync(token, { algorithms: ['HS256'] });
    } catch {
      return null;
    }
    if (typeof payload.sub !== 'string' || payload.typ !== 'access') return null;
    const version = payload.ver === undefined ? 0 : payload.ver;
    if (typeof version !== 'number') return null;
    const current = await this.users.credentialsVersionOf(payload.sub);
    return current === version ? { userId: payload.sub } : null;
  }
}
