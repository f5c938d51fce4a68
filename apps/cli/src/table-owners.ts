import { CONTEXT_MODULES } from '@herald/contexts';
import { migrationsOf, tableMigrationsOf } from '@herald/database';
import { EventsModule } from '@herald/events';

/**
 * The modules that own herald's tables: the event platform (outbox, inbox)
 * and each context. Each declares its migrations (@OwnsTables); nothing here
 * names one.
 */
const OWNER_MODULES = [EventsModule, ...CONTEXT_MODULES];

/** Each owner's migrations and their folder (relative to the repository root, where npm scripts run). */
export const TABLE_OWNERS = tableMigrationsOf(OWNER_MODULES);

/** Every migration, in the order they run (by timestamp, whoever owns it). */
export const MIGRATIONS = migrationsOf(OWNER_MODULES);
