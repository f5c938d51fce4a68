import type { TableMigrations } from '@herald/database';
import { InboxConsumerIsReaction1795940000000 } from './1795940000000-inbox-consumer-is-reaction.js';

/**
 * The notifications context has no table of its own; its one migration
 * rewrote its delivery records in the platform's `inbox` (keyed by its
 * reactions' names since). Class names and timestamps: NEVER change one.
 */
export const notificationsMigrations: TableMigrations = {
  folder: 'libs/notifications/src/migrations',
  migrations: [InboxConsumerIsReaction1795940000000],
};
