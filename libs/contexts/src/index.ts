import { NotificationsModule } from '@herald/notifications';
import { UsersModule } from '@herald/users';
import { EventUpkeepModule } from './event-upkeep/event-upkeep.module.js';

/**
 * The bounded contexts herald is made of: the API, the worker and the CLI
 * compose exactly these. Adding a context means adding it here; adding an
 * event, a reaction or a job inside a context changes nothing here.
 */
export const CONTEXT_MODULES = [UsersModule, NotificationsModule] as const;

/**
 * Every module the apps compose on top of the platform: the contexts and the
 * event platform's upkeep. The job registry (queues, jobs) is found among
 * their providers, the same in the API, the worker and the CLI.
 */
export const HERALD_MODULES = [...CONTEXT_MODULES, EventUpkeepModule] as const;

export { EventRetentionJob, PruneEvents } from './event-upkeep/event-retention.job.js';
export { EventUpkeepModule } from './event-upkeep/event-upkeep.module.js';
