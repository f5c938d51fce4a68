import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { RegisterUserDto } from './register-user.dto.js';

/** The properties that fail validation, as the API's ValidationPipe would check them. */
async function invalidFields(body: object): Promise<string[]> {
  const errors = await validate(plainToInstance(RegisterUserDto, body), { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((error) => error.property).sort();
}

const good = { email: 'ada@example.com', password: 'correct horse battery', displayName: 'Ada Lovelace' };

describe(RegisterUserDto.name, () => {
  it('accepts a good body', async () => {
    expect(await invalidFields(good)).toEqual([]);
  });

  it('accepts a body without displayName', async () => {
    const { displayName: _omitted, ...body } = good;
    expect(await invalidFields(body)).toEqual([]);
  });

  it('rejects a missing email', async () => {
    const { email: _omitted, ...body } = good;
    expect(await invalidFields(body)).toEqual(['email']);
  });

  it.each(['not-an-email', 'ada@', '@example.com', 'ada example@example.com'])('rejects the invalid email %j', async (email) => {
    expect(await invalidFields({ ...good, email })).toEqual(['email']);
  });

  it('rejects an email over 254 characters', async () => {
    const domain = ['b', 'c', 'd', 'e'].map((char) => char.repeat(60)).join('.') + '.com'; // 247 characters
    expect(await invalidFields({ ...good, email: `${'a'.repeat(8)}@${domain}` })).toEqual(['email']);
  });

  it('rejects a missing password', async () => {
    const { password: _omitted, ...body } = good;
    expect(await invalidFields(body)).toEqual(['password']);
  });

  it('rejects a password shorter than 12 characters', async () => {
    expect(await invalidFields({ ...good, password: 'a'.repeat(11) })).toEqual(['password']);
  });

  it('rejects a password longer than 128 characters', async () => {
    expect(await invalidFields({ ...good, password: 'a'.repeat(129) })).toEqual(['password']);
  });

  it('accepts a displayName of 100 characters and rejects 101', async () => {
    expect(await invalidFields({ ...good, displayName: 'd'.repeat(100) })).toEqual([]);
    expect(await invalidFields({ ...good, displayName: 'd'.repeat(101) })).toEqual(['displayName']);
  });

  it.each([
    ['email', 42],
    ['email', ['ada@example.com']],
    ['password', 123456789012345],
    ['password', { value: 'correct horse battery' }],
    ['displayName', true],
    ['displayName', 7],
  ])('rejects a non-string %s (%j)', async (field, value) => {
    expect(await invalidFields({ ...good, [field]: value })).toEqual([field]);
  });

  it('rejects unknown extra fields', async () => {
    expect(await invalidFields({ ...good, isAdmin: true, emailVerifiedAt: '2025-01-01' })).toEqual(['emailVerifiedAt', 'isAdmin']);
  });
});
