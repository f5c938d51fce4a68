import { InvalidArgumentError } from 'commander';
import { migrationSource, parseMigrationName } from './migration-file.js';

describe(parseMigrationName.name, () => {
  it('accepts a PascalCase name', () => {
    expect(parseMigrationName('AddUserLocale')).toBe('AddUserLocale');
  });

  it.each(['add-user-locale', 'addUserLocale', 'Add User', 'X'])('refuses %p', (name) => {
    expect(() => parseMigrationName(name)).toThrow(InvalidArgumentError);
  });
});

describe(migrationSource.name, () => {
  const migration = migrationSource(
    'AddUserLocale',
    1796300000000,
    [{ query: 'ALTER TABLE "users" ADD "locale" character varying' }, { query: 'CREATE INDEX "IDX_x" ON "users" ("locale")' }],
    [{ query: 'ALTER TABLE "users" DROP COLUMN "locale"' }, { query: 'DROP INDEX "public"."IDX_x"' }],
  );

  it('names the file and the class as the existing migrations are named', () => {
    expect(migration.fileName).toBe('1796300000000-add-user-locale.ts');
    expect(migration.className).toBe('AddUserLocale1796300000000');
    expect(migration.source).toContain(
      "export class AddUserLocale1796300000000 implements MigrationInterface {\n  name = 'AddUserLocale1796300000000';",
    );
  });

  it('applies `up` in order and undoes it in reverse order', () => {
    const lines = migration.source.split('\n').filter((line) => line.includes('queryRunner.query'));
    expect(lines).toEqual([
      '    await queryRunner.query(`ALTER TABLE "users" ADD "locale" character varying`);',
      '    await queryRunner.query(`CREATE INDEX "IDX_x" ON "users" ("locale")`);',
      '    await queryRunner.query(`DROP INDEX "public"."IDX_x"`);',
      '    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "locale"`);',
    ]);
  });

  it('escapes what a template literal would interpret, and keeps parameters', () => {
    const { source } = migrationSource('Odd', 1, [{ query: "COMMENT ON TABLE x IS 'a `b` ${c} \\d'", parameters: ['p', 1] }], []);
    expect(source).toContain('await queryRunner.query(`COMMENT ON TABLE x IS \'a \\`b\\` \\${c} \\\\d\'`, ["p",1]);');
  });
});
