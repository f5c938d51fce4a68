import { ProblemException } from './problem.exception.js';

/** A 429 problem (`TOO_MANY_REQUESTS`) with `Retry-After`, in whole seconds (at least 1). */
export class TooManyRequestsException extends ProblemException {
  readonly retryAfterSeconds: number;

  constructor(msBeforeNext: number, detail = (seconds: number) => `Too many attempts; retry in ${seconds} s.`) {
    const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    super('TOO_MANY_REQUESTS', detail(retryAfterSeconds), { 'Retry-After': String(retryAfterSeconds) });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
