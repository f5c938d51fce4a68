import type { UserErrorCode } from '@herald/users';

/**
 * The HTTP status of every domain error code: the domain names what went
 * wrong, the HTTP edge decides how to answer. The compiler insists on every
 * code of each context.
 */
const USERS: Record<UserErrorCode, number> = {
  INVALID_EMAIL: 400,
  INVALID_PASSWORD: 400,
  INVALID_VERIFICATION_TOKEN: 400,
  INVALID_RESET_TOKEN: 400,
  INVALID_CREDENTIALS: 401,
  INVALID_CURRENT_PASSWORD: 401,
  EMAIL_NOT_VERIFIED: 403,
  USER_NOT_FOUND: 404,
};

/** Every domain error code with its status (problem-codes.ts adds them to the OpenAPI code enum). */
export const DOMAIN_ERROR_STATUS = { ...USERS } as const satisfies Readonly<Record<string, number>>;

const STATUS_BY_CODE: Readonly<Record<string, number>> = DOMAIN_ERROR_STATUS;

/** A code no map knows is the client's problem as far as we can tell: 400 (and it is logged). */
export function domainErrorStatus(code: string): number | undefined {
  return STATUS_BY_CODE[code];
}
