import { HttpException } from '@nestjs/common';
import { problemStatus, type ProblemCode } from './problem-codes.js';

/**
 * An answer the HTTP edge gives on purpose: a stable problem code (its status
 * follows from it), a detail for the reader, and the headers the answer needs
 * (`Allow` with a 405, `Retry-After` with a 429, `WWW-Authenticate` with a
 * 401). ProblemDetailsFilter writes it as application/problem+json, headers
 * included, for Nest routes and for the admin guards in front of Bull Board.
 */
export class ProblemException extends HttpException {
  constructor(
    readonly code: ProblemCode,
    detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super({ code, detail }, problemStatus(code));
  }
}
