export { DatabaseModule } from './database.module.js';
export { dataSourceOptions } from './data-source-options.js';
export { runMigrations } from './run-migrations.js';
export { migrationsOf, OwnsTables, tableMigrationsOf, type MigrationClass, type TableMigrations } from './table-migrations.js';
export { postgresDependency } from './postgres-dependency.js';
