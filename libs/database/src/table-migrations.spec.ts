import { Module } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { migrationsOf, OwnsTables, tableMigrationsOf, type MigrationClass } from './table-migrations.js';

const migration = (name: string): MigrationClass => {
  const named = {
    [name]: class implements MigrationInterface {
      async up() {}
      async down() {}
    },
  };
  return named[name]!;
};

const First1700000000001 = migration('First1700000000001');
const Second1700000000002 = migration('Second1700000000002');
const Third1700000000003 = migration('Third1700000000003');

@OwnsTables({ folder: 'libs/platform/src/migrations', migrations: [Second1700000000002] })
@Module({})
class PlatformModule {}

@OwnsTables({ folder: 'libs/context/src/migrations', migrations: [Third1700000000003, First1700000000001] })
@Module({ imports: [PlatformModule] })
class ContextModule {}

@Module({})
class ModuleWithoutTables {}

describe(migrationsOf.name, () => {
  it('runs every owner’s migrations in timestamp order, whoever owns them', () => {
    expect(migrationsOf([ContextModule, ModuleWithoutTables]).map((m) => m.name)).toEqual([
      'First1700000000001',
      'Second1700000000002',
      'Third1700000000003',
    ]);
  });

  it('finds the owners among imported and dynamic modules, each once', () => {
    const owners = tableMigrationsOf([{ module: ModuleWithoutTables, imports: [ContextModule] }, PlatformModule]);
    expect(owners.map((owner) => owner.folder)).toEqual(['libs/context/src/migrations', 'libs/platform/src/migrations']);
  });

  it('refuses two migrations with one timestamp', () => {
    const Clash1700000000002 = migration('Clash1700000000002');
    @OwnsTables({ folder: 'libs/other/src/migrations', migrations: [Clash1700000000002] })
    @Module({})
    class OtherModule {}
    expect(() => migrationsOf([PlatformModule, OtherModule])).toThrow(/Second1700000000002 and Clash1700000000002 share the timestamp/);
  });

  it('refuses a migration whose class name does not end in its timestamp', () => {
    @OwnsTables({ folder: 'libs/odd/src/migrations', migrations: [migration('AddLocale')] })
    @Module({})
    class OddModule {}
    expect(() => migrationsOf([OddModule])).toThrow(/AddLocale: its class name must end in a 13-digit timestamp/);
  });
});
