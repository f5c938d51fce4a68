import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createPipelineHarness, ThingHappened, type PipelineHarness } from '../../../test/support/pipeline-harness.js';
import { countRoundTrips } from '../../../test/support/round-trips.js';

describe('UnitOfWork round trips', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await createPipelineHarness();
    await h.db.query(`CREATE TABLE uow_probe (id uuid PRIMARY KEY, label text NOT NULL)`);
  });
  afterAll(() => h?.close());

  it('registration-shaped', async () => {
    const id = randomUUID();
    const trips = await countRoundTrips(h.module.get(DataSource), () =>
      h.uow.run(async () => {
        await h.uow.manager.query(`INSERT INTO uow_probe (id, label) VALUES ($1, $2)`, [id, 'x']);
        await h.uow.record([ThingHappened.create(id, { label: 'x' })]);
      }),
    );
    expect(trips).toBe(2);
  });
});
