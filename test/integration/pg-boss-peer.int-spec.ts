import PgBoss from 'pg-boss';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { typeormDb } from '../../bench/peers/typeorm-db.mjs';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// The pg-boss peer of `npm run bench:peers` is only a fair peer if its enqueue really is transactional:
// the job is written by the caller's TypeORM transaction, so it commits and rolls back with the row.
describe('pg-boss peer: send inside a TypeORM transaction (bench/peers/typeorm-db.mjs)', () => {
  const queue = 'peer-test';
  let db: TestDatabase;
  let dataSource: DataSource;
  let boss: PgBoss;

  beforeEach(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource({ type: 'postgres', url: db.url, poolSize: 2 }).initialize();
    boss = new PgBoss({ connectionString: db.url, max: 2 });
    boss.on('error', () => undefined); // DROP DATABASE ... WITH (FORCE) ends its connections at the end
    await boss.start();
    await boss.createQueue(queue);
  });

  afterEach(async () => {
    await boss.stop({ graceful: false, close: true, wait: true });
    await dataSource.destroy();
    await db.drop();
  });

  const insertUser = (manager: DataSource['manager'], id: string) =>
    manager.query(`INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')`, [id, `${id}@example.com`]);

  it('creates the job with the row, visible to others only once the transaction has committed', async () => {
    const userId = uuidv7();
    let seenBeforeCommit: unknown = 'not looked';
    const jobId = await dataSource.transaction(async (manager) => {
      await insertUser(manager, userId);
      const id = await boss.send(queue, { userId }, { db: typeormDb(manager) });
      seenBeforeCommit = id ? await boss.getJobById(queue, id) : 'no id';
      return id;
    });

    expect(seenBeforeCommit).toBeNull();
    expect(jobId).toEqual(expect.any(String));
    const [job] = await boss.fetch<{ userId: string }>(queue);
    expect(job).toMatchObject({ id: jobId, data: { userId } });
    expect(await db.query('SELECT id FROM users WHERE id = $1', [userId])).toHaveLength(1);
  });

  it('leaves no job behind when the transaction rolls back', async () => {
    const userId = uuidv7();
    let jobId: string | null = null;
    await expect(
      dataSource.transaction(async (manager) => {
        await insertUser(manager, userId);
        jobId = await boss.send(queue, { userId }, { db: typeormDb(manager) });
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');

    expect(jobId).toEqual(expect.any(String));
    expect(await boss.getJobById(queue, jobId!)).toBeNull();
    expect(await boss.fetch(queue)).toEqual([]);
    expect(await db.query('SELECT id FROM users WHERE id = $1', [userId])).toHaveLength(0);
  });

  it('refuses an entity manager that is not in a transaction', () => {
    expect(() => typeormDb(dataSource.manager)).toThrow('not in a transaction');
  });
});
