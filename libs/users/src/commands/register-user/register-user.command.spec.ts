import { InvalidEmailError, InvalidPasswordError } from '../../domain/domain-errors.js';
import { RegisterUserCommand } from './register-user.command.js';

const PASSWORD = 'correct horse battery';

describe(RegisterUserCommand.name, () => {
  describe('constructor', () => {
    it('keeps a normalised email and the password as given', () => {
      const command = new RegisterUserCommand('  Ada@Example.COM ', PASSWORD, 'Ada');

      expect(command.email.value).toBe('ada@example.com');
      expect(command.password).toBe(PASSWORD);
    });

    it('rejects a bad email with InvalidEmailError (INVALID_EMAIL)', () => {
      const build = () => new RegisterUserCommand('not-an-email', PASSWORD);

      expect(build).toThrow(InvalidEmailError);
      expect(build).toThrow(expect.objectContaining({ code: 'INVALID_EMAIL' }));
    });

    it('rejects a short password with INVALID_PASSWORD', () => {
      const build = () => new RegisterUserCommand('ada@example.com', 'short');

      expect(build).toThrow(InvalidPasswordError);
      expect(build).toThrow(expect.objectContaining({ code: 'INVALID_PASSWORD' }));
    });

    it('trims the displayName', () => {
      expect(new RegisterUserCommand('ada@example.com', PASSWORD, '  Ada Lovelace \t').displayName).toBe('Ada Lovelace');
    });

    it.each([
      ['missing', undefined],
      ['null', null],
      ['empty', ''],
      ['only whitespace', '   \n'],
    ])('maps a %s displayName to null', (_label, displayName) => {
      expect(new RegisterUserCommand('ada@example.com', PASSWORD, displayName).displayName).toBeNull();
    });

    it('keeps at most 100 characters of the displayName', () => {
      expect(new RegisterUserCommand('ada@example.com', PASSWORD, 'd'.repeat(150)).displayName).toBe('d'.repeat(100));
    });
  });
});
