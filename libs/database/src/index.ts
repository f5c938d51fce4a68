export { DatabaseModule } from './database.module.js';
export { dataSourceOptions } from './data-source-options.js';
export { runMigrations } from './run-migrations.js';
export { migrations } from './migrations/index.js';
export { postgresDependency } from './postgres-dependency.js';
