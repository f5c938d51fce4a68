import { Injectable } from '@nestjs/common';
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';

/**
 * Argon2id with OWASP's minimum parameters (19 MiB, t=2, p=1).
 * (`Algorithm` is a const enum, which isolated modules cannot read: 2 is Argon2id.)
 */
export const ARGON2_OPTIONS: Options = {
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

@Injectable()
export class PasswordHasher {
  /** Verified against when the account does not exist, so both paths take the same time. */
  private readonly decoyHash: Promise<string> = hash('herald-decoy-password-for-timing', ARGON2_OPTIONS);

  hash(password: string): Promise<string> {
    return hash(password, ARGON2_OPTIONS);
  }

  async verify(passwordHash: string | null, password: string): Promise<boolean> {
    const target = passwordHash ?? (await this.decoyHash);
    const matches = await verify(target, password).catch(() => false);
    return passwordHash !== null && matches;
  }
}
