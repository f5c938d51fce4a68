import { NotificationsModule } from '@herald/notifications';
import { UsersModule } from '@herald/users';

/**
 * The bounded contexts herald is made of: the API, the worker and the CLI
 * compose exactly these. Adding a context means adding it here; adding an
 * event, a reaction or a job inside a context changes nothing here.
 */
export const CONTEXT_MODULES = [UsersModule, NotificationsModule] as const;
