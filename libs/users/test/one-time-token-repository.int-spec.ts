import { v7 as uuidv7 } from 'uuid';
import { deriveOneTimeToken, type MintedToken } from '../src/domain/one-time-token.js';
import { VerificationTokenRepository } from '../src/infrastructure/one-time-token.repository.js';
import { UserRepository } from '../src/infrastructure/user.repository.js';
import { createPipelineHarness, type PipelineHarness } from '../../../test/support/pipeline-harness.js';

const KEY = Buffer.alloc(32, 7);
const HOUR = 3_600_000;

describe('VerificationTokenRepository.mintFor (real Postgres): one statement looks the token up and writes it', () => {
  let h: PipelineHarness;
  let users: UserRepository;
  let tokens: VerificationTokenRepository;

  beforeAll(async () => {
    h = await createPipelineHarness();
    users = new UserRepository(h.uow);
    tokens = new VerificationTokenRepository(h.uow);
  });

  afterAll(async () => {
    await h.close();
  });

  const createUser = async () => {
    const id = uuidv7();
    await h.db.query(`INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')`, [id, `${id}@example.com`]);
    return id;
  };
  /** Mints as the email job does: in a transaction, under the user's row lock. */
  const mint = (userId: string, minted?: MintedToken, now = new Date()) =>
    h.uow.run(async () => {
      await users.findByIdForUpdate(userId);
      return tokens.mintFor(userId, 48 * HOUR, now, minted);
    });
  const rows = (userId: string) =>
    h.db.query<{ selector: string; open: boolean; used: boolean }>(
      `SELECT selector, used_at IS NULL AND revoked_at IS NULL AS open, used_at IS NOT NULL AS used
       FROM email_verification_tokens WHERE user_id = $1 ORDER BY created_at, selector`,
      [userId],
    );

  it('stores a new random token and revokes the older open ones', async () => {
    const userId = await createUser();
    const first = await mint(userId);
    const second = await mint(userId);
    expect(second!.token).not.toBe(first!.token);
    expect(await rows(userId)).toEqual([
      { selector: first!.selector, open: false, used: false },
      { selector: second!.selector, open: true, used: false },
    ]);
  });

  it('hands a derived token out again while it is usable, writing and revoking nothing the second time', async () => {
    const userId = await createUser();
    const derived = deriveOneTimeToken(KEY, `verification\0reaction.${uuidv7()}`);
    expect(await mint(userId, derived)).toEqual(derived);
    const before = await rows(userId);
    expect(await mint(userId, derived)).toEqual(derived); // the retry's link is the first attempt's link
    expect(await rows(userId)).toEqual(before);
    expect(before).toEqual([{ selector: derived.selector, open: true, used: false }]);
  });

  it('does not resurrect a derived token that was redeemed: null, and it stays used, with no token added or revoked', async () => {
    const userId = await createUser();
    const derived = deriveOneTimeToken(KEY, `verification\0reaction.${uuidv7()}`);
    await mint(userId, derived);
    await h.db.query('UPDATE email_verification_tokens SET used_at = now() WHERE selector = $1', [derived.selector]);
    const other = await mint(userId); // a later request's link, open
    expect(await mint(userId, derived)).toBeNull();
    expect(await rows(userId)).toEqual([
      { selector: derived.selector, open: false, used: true },
      { selector: other!.selector, open: true, used: false },
    ]);
  });

  it('mints nothing again for a derived token that a newer one replaced', async () => {
    const userId = await createUser();
    const replaced = deriveOneTimeToken(KEY, `verification\0reaction.${uuidv7()}`);
    await mint(userId, replaced);
    const newer = await mint(userId);
    expect(await mint(userId, replaced)).toBeNull();
    expect(await rows(userId)).toEqual([
      { selector: replaced.selector, open: false, used: false },
      { selector: newer!.selector, open: true, used: false },
    ]);
  });

  it('mints nothing again for a derived token that has expired, and leaves its expiry as it was', async () => {
    const userId = await createUser();
    const expired = deriveOneTimeToken(KEY, `verification\0reaction.${uuidv7()}`);
    await mint(userId, expired, new Date(Date.now() - 49 * HOUR));
    expect(await mint(userId, expired)).toBeNull();
    const [row] = await h.db.query<{ expired: boolean }>(
      'SELECT expires_at < now() AS expired FROM email_verification_tokens WHERE user_id = $1',
      [userId],
    );
    expect(row).toEqual({ expired: true });
  });

  it("hands out nothing for a selector stored for another user, and leaves that user's tokens alone", async () => {
    const [owner, stranger] = [await createUser(), await createUser()];
    const derived = deriveOneTimeToken(KEY, `verification\0reaction.${uuidv7()}`);
    await mint(owner, derived);
    expect(await mint(stranger, derived)).toBeNull();
    expect(await rows(stranger)).toEqual([]);
    expect(await rows(owner)).toEqual([{ selector: derived.selector, open: true, used: false }]);
  });
});
