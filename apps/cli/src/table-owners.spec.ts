import { readdirSync } from 'node:fs';
import { MIGRATIONS, TABLE_OWNERS } from './table-owners.js';

// Deployed databases record each migration by class name in their `migrations` table: moving a migration to the
// lib that owns its tables must change neither its name (timestamp included) nor the order they run in.
const RECORDED = [
  'InitialSchema1764180000000',
  'InboxClaims1795934500000',
  'InboxConsumerIsReaction1795940000000',
  'PasswordReset1795950000000',
  'RetentionIndexes1796000000000',
  'OutboxReplays1796100000000',
  'OutboxDeadIndex1796180000000',
  'OutboxTraceparent1796200000000',
  'OutboxPendingCreatedAtIndex1796300000000',
  'OutboxReplayCursor1796400000000',
  'AccountRequests1796526149813',
];

describe('the owners of herald’s tables', () => {
  it('are the event platform and each context, each with its own migrations folder', () => {
    expect(TABLE_OWNERS.map((owner) => owner.folder).sort()).toEqual([
      'libs/events/src/migrations',
      'libs/notifications/src/migrations',
      'libs/users/src/migrations',
    ]);
  });

  it('run the migrations deployed databases recorded, under the same names and in the same order', () => {
    expect(MIGRATIONS.map((migration) => migration.name).slice(0, RECORDED.length)).toEqual(RECORDED);
    // Each class's `name` (what TypeORM records) is its class name.
    for (const migration of MIGRATIONS) expect(new migration().name).toBe(migration.name);
  });

  it.each(TABLE_OWNERS.map((owner) => [owner.folder, owner] as const))('%s: lists every migration file it holds', (folder, owner) => {
    const files = readdirSync(folder).filter((file) => /^\d{13}-.+\.ts$/.test(file) && !file.endsWith('.spec.ts'));
    const timestamps = owner.migrations.map((migration) => /\d{13}$/.exec(migration.name)![0]).sort();
    expect(files.map((file) => file.slice(0, 13)).sort()).toEqual(timestamps);
  });
});
