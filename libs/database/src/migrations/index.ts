import { InitialSchema1764180000000 } from './1764180000000-initial-schema.js';
import { InboxClaims1795934500000 } from './1795934500000-inbox-claims.js';
import { InboxConsumerIsReaction1795940000000 } from './1795940000000-inbox-consumer-is-reaction.js';
import { PasswordReset1795950000000 } from './1795950000000-password-reset.js';
import { RetentionIndexes1796000000000 } from './1796000000000-retention-indexes.js';
import { OutboxReplays1796100000000 } from './1796100000000-outbox-replays.js';
import { OutboxDeadIndex1796180000000 } from './1796180000000-outbox-dead-index.js';
import { OutboxTraceparent1796200000000 } from './1796200000000-outbox-traceparent.js';
import { OutboxPendingCreatedAtIndex1796300000000 } from './1796300000000-outbox-pending-created-at-index.js';
import { OutboxReplayCursor1796400000000 } from './1796400000000-outbox-replay-cursor.js';
import { AccountRequests1796526149813 } from './1796526149813-account-requests.js';

/** Every migration, in order. Listed explicitly (no globs): the build output is ESM. */
export const migrations = [
  InitialSchema1764180000000,
  InboxClaims1795934500000,
  InboxConsumerIsReaction1795940000000,
  PasswordReset1795950000000,
  RetentionIndexes1796000000000,
  OutboxReplays1796100000000,
  OutboxDeadIndex1796180000000,
  OutboxTraceparent1796200000000,
  OutboxPendingCreatedAtIndex1796300000000,
  OutboxReplayCursor1796400000000,
  AccountRequests1796526149813,
];
