import type { TableMigrations } from '@herald/database';
import { InboxClaims1795934500000 } from './1795934500000-inbox-claims.js';
import { OutboxReplays1796100000000 } from './1796100000000-outbox-replays.js';
import { OutboxDeadIndex1796180000000 } from './1796180000000-outbox-dead-index.js';
import { OutboxTraceparent1796200000000 } from './1796200000000-outbox-traceparent.js';
import { OutboxPendingCreatedAtIndex1796300000000 } from './1796300000000-outbox-pending-created-at-index.js';
import { OutboxReplayCursor1796400000000 } from './1796400000000-outbox-replay-cursor.js';

/**
 * The migrations of the event platform's tables: `outbox`, `inbox`, `outbox_replays`.
 * The first two were created, with the users' tables, by the users context's
 * InitialSchema1764180000000 (see libs/users/src/migrations/index.ts); these change them since.
 * Class names and timestamps are recorded by every deployed database: NEVER rename one.
 */
export const eventMigrations: TableMigrations = {
  folder: 'libs/events/src/migrations',
  migrations: [
    InboxClaims1795934500000,
    OutboxReplays1796100000000,
    OutboxDeadIndex1796180000000,
    OutboxTraceparent1796200000000,
    OutboxPendingCreatedAtIndex1796300000000,
    OutboxReplayCursor1796400000000,
  ],
};
