/** What an account request asks for: one per endpoint that takes an address. Stored with each request: NEVER rename one. */
export const ACCOUNT_REQUEST_KINDS = ['registration', 'verification-email', 'password-reset'] as const;

export type AccountRequestKind = (typeof ACCOUNT_REQUEST_KINDS)[number];
