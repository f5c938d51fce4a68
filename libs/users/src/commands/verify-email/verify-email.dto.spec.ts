import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { VerifyEmailDto } from './verify-email.dto.js';

async function invalidFields(body: object): Promise<string[]> {
  const errors = await validate(plainToInstance(VerifyEmailDto, body), { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((error) => error.property).sort();
}

const good = { token: `${'a'.repeat(16)}.${'b'.repeat(43)}` };

describe(VerifyEmailDto.name, () => {
  it('accepts a good body', async () => {
    expect(await invalidFields(good)).toEqual([]);
  });

  it('rejects a missing token', async () => {
    expect(await invalidFields({})).toEqual(['token']);
  });

  it('rejects an empty token', async () => {
    expect(await invalidFields({ token: '' })).toEqual(['token']);
  });

  it('accepts 200 characters and rejects a token over 200 characters', async () => {
    expect(await invalidFields({ token: 't'.repeat(200) })).toEqual([]);
    expect(await invalidFields({ token: 't'.repeat(201) })).toEqual(['token']);
  });

  it.each([12345, null, ['token'], { $ne: '' }])('rejects the non-string token %j', async (token) => {
    expect(await invalidFields({ token })).toEqual(['token']);
  });

  it('rejects unknown extra fields', async () => {
    expect(await invalidFields({ ...good, userId: 'someone-else' })).toEqual(['userId']);
  });
});
