import { DOMAIN_ERROR_STATUS } from './domain-error-status.js';

/**
 * The codes the HTTP edge itself answers with (not raised by a context), and
 * the status each goes with. Together with the domain codes
 * (domain-error-status.ts) they are every `code` a problem+json body can
 * carry: the OpenAPI `Problem.code` enum is built from here, so a code is
 * never typed twice.
 */
export const HTTP_PROBLEM_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  // An admin area's write from another site (Sec-Fetch-Site / Origin): the browser sent the Basic credentials for it.
  CROSS_SITE_WRITE: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  // A write to an admin area while ADMIN_READ_ONLY is on.
  READ_ONLY: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
} as const;

export type HttpProblemCode = keyof typeof HTTP_PROBLEM_STATUS;
export type ProblemCode = HttpProblemCode | keyof typeof DOMAIN_ERROR_STATUS;

const STATUS_BY_PROBLEM_CODE: Readonly<Record<ProblemCode, number>> = { ...HTTP_PROBLEM_STATUS, ...DOMAIN_ERROR_STATUS };

/** Every stable problem code, sorted (the order of the OpenAPI enum). */
export const PROBLEM_CODES = (Object.keys(STATUS_BY_PROBLEM_CODE) as ProblemCode[]).sort();

/** The HTTP status a problem code is answered with. */
export function problemStatus(code: ProblemCode): number {
  return STATUS_BY_PROBLEM_CODE[code];
}
