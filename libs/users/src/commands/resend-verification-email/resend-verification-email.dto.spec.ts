import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ResendVerificationEmailDto } from './resend-verification-email.dto.js';

async function invalidFields(body: object): Promise<string[]> {
  const errors = await validate(plainToInstance(ResendVerificationEmailDto, body), { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((error) => error.property).sort();
}

describe(ResendVerificationEmailDto.name, () => {
  it('accepts a good body', async () => {
    expect(await invalidFields({ email: 'ada@example.com' })).toEqual([]);
  });

  it('rejects a missing email', async () => {
    expect(await invalidFields({})).toEqual(['email']);
  });

  it.each(['', 'ada', 'ada@', 'ada@example'])('rejects the invalid email %j', async (email) => {
    expect(await invalidFields({ email })).toEqual(['email']);
  });

  it.each([42, true, ['ada@example.com']])('rejects the non-string email %j', async (email) => {
    expect(await invalidFields({ email })).toEqual(['email']);
  });

  it('rejects unknown extra fields', async () => {
    expect(await invalidFields({ email: 'ada@example.com', password: 'correct horse battery' })).toEqual(['password']);
  });
});
