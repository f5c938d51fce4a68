import type { HeraldConfig } from '@herald/config';
import { PasswordHasher } from './password-hasher.js';

const hasherWith = (passwordHashConcurrency: number) => new PasswordHasher({ auth: { passwordHashConcurrency } } as HeraldConfig);

describe('PasswordHasher', () => {
  it('runs at most PASSWORD_HASH_CONCURRENCY Argon2 computations at once; the rest wait their turn', async () => {
    const hasher = hasherWith(2);
    await hasher.verify(null, 'warm-up'); // the decoy hash is done
    const hashes = Array.from({ length: 5 }, (_, i) => hasher.hash(`password number ${i}`));
    await Promise.resolve(); // p-limit starts queued work on a microtask
    expect(hasher.load).toEqual({ active: 2, waiting: 3 });
    const results = await Promise.all(hashes);
    expect(new Set(results).size).toBe(5);
    expect(hasher.load).toEqual({ active: 0, waiting: 0 });
  });

  it('verifies the right password only, and refuses every password for an unknown account', async () => {
    const hasher = hasherWith(1);
    const stored = await hasher.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(hasher.verify(stored, 'correct horse battery staple')).resolves.toBe(true);
    await expect(hasher.verify(stored, 'wrong horse battery staple')).resolves.toBe(false);
    await expect(hasher.verify(null, 'herald-decoy-password-for-timing')).resolves.toBe(false);
    await expect(hasher.verify('not-a-hash', 'anything')).resolves.toBe(false);
  });
});
