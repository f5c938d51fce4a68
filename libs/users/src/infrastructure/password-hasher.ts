import { Injectable } from '@nestjs/common';
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import pLimit, { type LimitFunction } from 'p-limit';
import { HeraldConfig } from '@herald/config';

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

/**
 * Hashes and verifies passwords, at most PASSWORD_HASH_CONCURRENCY at a time
 * (default: one per CPU). Each Argon2 run is CPU-bound and holds 19 MiB: more
 * runs than cores add no throughput, only memory, and they would take every
 * libuv thread from the rest of the process (DNS, file and crypto work).
 */
@Injectable()
export class PasswordHasher {
  private readonly limit: LimitFunction;
  /** Verified against when the account does not exist, so both paths take the same time. */
  private readonly decoyHash: Promise<string>;

  constructor(config: HeraldConfig) {
    this.limit = pLimit(config.auth.passwordHashConcurrency);
    this.decoyHash = this.hash('herald-decoy-password-for-timing');
  }

  /** Argon2 runs under way and waiting for a slot. */
  get load(): { active: number; waiting: number } {
    return { active: this.limit.activeCount, waiting: this.limit.pendingCount };
  }

  hash(password: string): Promise<string> {
    return this.limit(() => hash(password, ARGON2_OPTIONS));
  }

  async verify(passwordHash: string | null, password: string): Promise<boolean> {
    const target = passwordHash ?? (await this.decoyHash);
    const matches = await this.limit(() => verify(target, password)).catch(() => false);
    return passwordHash !== null && matches;
  }
}
