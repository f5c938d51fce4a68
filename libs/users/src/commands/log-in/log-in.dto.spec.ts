import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { LogInDto } from './log-in.dto.js';

async function invalidFields(body: object): Promise<string[]> {
  const errors = await validate(plainToInstance(LogInDto, body), { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((error) => error.property).sort();
}

const good = { email: 'ada@example.com', password: 'correct horse battery' };

describe(LogInDto.name, () => {
  it('accepts a good body', async () => {
    expect(await invalidFields(good)).toEqual([]);
  });

  it('accepts a short password (the policy applies at registration, not at log-in)', async () => {
    expect(await invalidFields({ ...good, password: 'x' })).toEqual([]);
  });

  it('rejects a missing email and a missing password', async () => {
    expect(await invalidFields({})).toEqual(['email', 'password']);
  });

  it('rejects an email shorter than 3 characters', async () => {
    expect(await invalidFields({ ...good, email: 'a@' })).toEqual(['email']);
  });

  it('rejects an email over 254 characters', async () => {
    expect(await invalidFields({ ...good, email: 'e'.repeat(255) })).toEqual(['email']);
  });

  it('rejects an empty password', async () => {
    expect(await invalidFields({ ...good, password: '' })).toEqual(['password']);
  });

  it('rejects a password over 128 characters', async () => {
    expect(await invalidFields({ ...good, password: 'p'.repeat(129) })).toEqual(['password']);
  });

  it.each([
    ['email', 42],
    ['email', { $gt: '' }],
    ['password', 123456789012],
    ['password', ['correct horse battery']],
  ])('rejects a non-string %s (%j)', async (field, value) => {
    expect(await invalidFields({ ...good, [field]: value })).toEqual([field]);
  });

  it('rejects unknown extra fields', async () => {
    expect(await invalidFields({ ...good, rememberMe: true })).toEqual(['rememberMe']);
  });
});
