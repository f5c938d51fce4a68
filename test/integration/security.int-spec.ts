import { createHash, randomBytes } from 'node:crypto';
import { createApiHarness, type ApiHarness } from '../support/api-harness.js';

const PASSWORD = 'a long and lovely passphrase';
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('Security properties (in process, real Postgres + Redis)', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await createApiHarness({ env: { RATE_LIMIT_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers a taken email with the same status, the same body and in the time of a new registration', async () => {
    await api.post('/users', { email: 'taken@example.com', password: PASSWORD });
    const taken: number[] = [];
    const fresh: number[] = [];
    const bodies = new Set<string>();
    for (let i = 0; i < 12; i++) {
      for (const [email, times] of [
        [`fresh-${i}@example.com`, fresh],
        ['taken@example.com', taken],
      ] as const) {
        const started = performance.now();
        const response = await api.post('/users', { email, password: PASSWORD });
        times.push(performance.now() - started);
        expect(response.status).toBe(202);
        bodies.add(await response.text());
      }
    }
    expect(bodies.size).toBe(1);
    // Both paths hash the password; without that the taken path would be ~20x faster.
    const ratio = median(taken) / median(fresh);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  describe('verification tokens', () => {
    let userId: string;
    const insertToken = async (options: { expiresInMs?: number; usedAt?: Date; revokedAt?: Date } = {}) => {
      const selector = randomBytes(12).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      await api.db.query(
        `INSERT INTO email_verification_tokens (selector, user_id, verifier_hash, expires_at, used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          selector,
          userId,
          createHash('sha256').update(verifier).digest('hex'),
          new Date(Date.now() + (options.expiresInMs ?? 3600_000)),
          options.usedAt ?? null,
          options.revokedAt ?? null,
        ],
      );
      return `${selector}.${verifier}`;
    };
    const answer = async (token: string) => {
      const response = await api.post('/users/verify-email', { token });
      const { status, code, detail, title, type } = (await response.json()) as Record<string, unknown>;
      return { httpStatus: response.status, status, code, detail, title, type };
    };

    beforeAll(async () => {
      await api.post('/users', { email: 'tokens@example.com', password: PASSWORD });
      await api.settled(); // the account is created when the request is resolved
      [{ id: userId }] = (await api.db.query<{ id: string }>(`SELECT id FROM users WHERE email = 'tokens@example.com'`)) as [
        { id: string },
      ];
    });

    it('gives unknown, expired, used, replaced and tampered tokens one and the same answer', async () => {
      const valid = await insertToken();
      const tampered = valid.slice(0, -1) + (valid.endsWith('A') ? 'B' : 'A');
      const answers = [
        await answer('AAAAAAAAAAAAAAAA.' + 'A'.repeat(43)),
        await answer(await insertToken({ expiresInMs: -1000 })),
        await answer(await insertToken({ usedAt: new Date() })),
        await answer(await insertToken({ revokedAt: new Date() })),
        await answer(tampered),
      ];
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect(answers[0]).toMatchObject({ httpStatus: 400, code: 'INVALID_VERIFICATION_TOKEN' });
      // The untampered token still works: the tampered one was refused on its own merit.
      expect((await api.post('/users/verify-email', { token: valid })).status).toBe(200);
    });

    it('stores only the SHA-256 of the verifier, never the token', async () => {
      const token = await insertToken();
      const rows = await api.db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM email_verification_tokens t`);
      for (const { row } of rows) {
        expect(row).not.toContain(token.split('.')[1]!);
        expect(row).not.toContain(token);
      }
    });
  });
});
