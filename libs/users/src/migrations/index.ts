import type { TableMigrations } from '@herald/database';
import { InitialSchema1764180000000 } from './1764180000000-initial-schema.js';
import { PasswordReset1795950000000 } from './1795950000000-password-reset.js';
import { RetentionIndexes1796000000000 } from './1796000000000-retention-indexes.js';
import { AccountRequests1796526149813 } from './1796526149813-account-requests.js';

/**
 * The migrations of the users context's tables: `users`, `email_verification_tokens`,
 * `password_reset_tokens`, `account_requests`.
 *
 * Two of them also touch the event platform's tables, because they were written
 * before each owner kept its own migrations: InitialSchema creates `outbox` and
 * `inbox` beside `users`, RetentionIndexes indexes `inbox` beside the tokens.
 * They stay whole — every deployed database records each migration by name, so
 * one cannot be split — and they stay here, because a context may name the
 * platform's tables but the platform may never name a context's.
 * Class names and timestamps: NEVER change one.
 */
export const usersMigrations: TableMigrations = {
  folder: 'libs/users/src/migrations',
  migrations: [InitialSchema1764180000000, PasswordReset1795950000000, RetentionIndexes1796000000000, AccountRequests1796526149813],
};
