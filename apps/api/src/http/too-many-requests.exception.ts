import { HttpException, HttpStatus } from '@nestjs/common';
import type { ProblemCode } from './problem-codes.js';

/** A 429 problem (`TOO_MANY_REQUESTS`); the problem filter turns `retryAfterSeconds` into `Retry-After`. */
export class TooManyRequestsException extends HttpException {
  readonly retryAfterSeconds: number;

  constructor(msBeforeNext: number) {
    const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    super(
      { code: 'TOO_MANY_REQUESTS' satisfies ProblemCode, detail: `Too many attempts; retry in ${retryAfterSeconds} s.` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
