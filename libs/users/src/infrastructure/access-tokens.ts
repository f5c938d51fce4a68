import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { HeraldConfig } from '@herald/config';

export interface AccessTokenClaims {
  readonly userId: string;
}

/** Issues and checks the API's JWT access tokens (HS256). */
@Injectable()
export class AccessTokens {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: HeraldConfig,
  ) {}

  async issue(userId: string): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number }> {
    const expiresIn = this.config.auth.jwtTtlSeconds;
    const accessToken = await this.jwt.signAsync({ sub: userId, typ: 'access' }, { expiresIn });
    return { accessToken, tokenType: 'Bearer', expiresIn };
  }

  /** The claims of a valid token, or null for anything else (expired, forged, malformed). */
  async verify(token: string): Promise<AccessTokenClaims | null> {
    try {
      const payload = await this.jwt.verifyAsync<{ sub?: unknown; typ?: unknown }>(token, { algorithms: ['HS256'] });
      return typeof payload.sub === 'string' && payload.typ === 'access' ? { userId: payload.sub } : null;
    } catch {
      return null;
    }
  }
}
