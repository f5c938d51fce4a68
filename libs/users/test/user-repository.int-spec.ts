import { v7 as uuidv7 } from 'uuid';
import { OutboxStatus } from '@herald/events';
import { EmailVerified, User } from '@herald/users';
import { UserRepository } from '../src/infrastructure/user.repository.js';
import { createPipelineHarness, type PipelineHarness } from '../../../test/support/pipeline-harness.js';

describe('UserRepository (real Postgres)', () => {
  let h: PipelineHarness;
  let users: UserRepository;

  beforeEach(async () => {
    h = await createPipelineHarness();
    users = new UserRepository(h.uow);
  });

  afterEach(async () => {
    await h.close();
  });

  const createUser = async () => {
    const id = uuidv7();
    await h.db.query(`INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')`, [id, `${id}@example.com`]);
    return id;
  };
  const stored = async (id: string) => {
    const [row] = await h.db.query<{ verified: boolean }>('SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1', [
      id,
    ]);
    const events = await h.db.query<{ status: string }>('SELECT status FROM outbox WHERE aggregate_id = $1 AND event_type = $2', [
      id,
      EmailVerified.eventType,
    ]);
    return { verified: row!.verified, events: events.map((event) => event.status) };
  };

  describe('reads', () => {
    it('reads every column of a user, by id or address, with or without its row lock', async () => {
      const id = uuidv7();
      const [request, reset] = [uuidv7(), uuidv7()];
      await h.db.query(
        `INSERT INTO users (id, email, password_hash, display_name, email_verified_at, credentials_version,
           open_verification_request, open_password_reset_request, created_at, updated_at)
         VALUES ($1, $2, 'hash', 'Ada', '2026-01-02T03:04:05Z', 3, $3, $4, '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z')`,
        [id, `${id}@example.com`, request, reset],
      );
      const expected = {
        id,
        email: `${id}@example.com`,
        passwordHash: 'hash',
        displayName: 'Ada',
        emailVerifiedAt: new Date('2026-01-02T03:04:05Z'),
        credentialsVersion: 3,
        openVerificationRequest: request,
        openPasswordResetRequest: reset,
        createdAt: new Date('2026-01-01T00:00:00Z'),
        updatedAt: new Date('2026-01-03T00:00:00Z'),
      };
      const read = await h.uow.run(async () => [
        await users.findById(id),
        await users.findByEmail(`${id}@example.com`),
        await users.findByIdForUpdate(id),
        await users.findByEmailForUpdate(`${id}@example.com`),
      ]);
      expect(read.map((user) => user?.snapshot)).toEqual([expected, expected, expected, expected]);
      expect(await h.uow.run(() => users.findByIdForUpdate(uuidv7()))).toBeNull();
    });

    it('holds the row lock until the transaction ends', async () => {
      const id = await createUser();
      await h.uow.run(async () => {
        await users.findByIdForUpdate(id);
        await expect(h.db.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE NOWAIT', [id])).rejects.toThrow(/could not obtain lock/);
      });
      expect(await h.db.query('SELECT 1 AS free FROM users WHERE id = $1 FOR UPDATE NOWAIT', [id])).toEqual([{ free: 1 }]);
    });
  });

  describe('save', () => {
    it('saves the change and its event in full when a retry follows a rolled-back savepoint', async () => {
      const id = await createUser();
      let attempts = 0;
      await h.uow.run(async () => {
        const user = (await users.findById(id))!;
        user.verifyEmail(new Date());
        for (;;) {
          try {
            await h.uow.run(async () => {
              await users.save(user);
              if (++attempts === 1) throw new Error('a step after the save failed');
            });
            return;
          } catch {
            // retry the step with the same aggregate
          }
        }
      });
      await h.postCommit.drain();

      expect(attempts).toBe(2);
      expect(await stored(id)).toEqual({ verified: true, events: [OutboxStatus.Dispatched] });
    });

    it('saves an aggregate again in full after its whole transaction rolled back', async () => {
      const id = await createUser();
      const user: User = (await h.uow.run(() => users.findById(id)))!;
      user.verifyEmail(new Date());
      await expect(
        h.uow.run(async () => {
          await users.save(user);
          throw new Error('the transaction fails after the save');
        }),
      ).rejects.toThrow('the transaction fails after the save');
      expect(user.getUncommittedEvents().map((event) => event.eventType)).toEqual([EmailVerified.eventType]);

      await h.uow.run(() => users.save(user));
      await h.postCommit.drain();
      expect(await stored(id)).toEqual({ verified: true, events: [OutboxStatus.Dispatched] });
      expect(user.getUncommittedEvents()).toEqual([]);
    });
  });
});
