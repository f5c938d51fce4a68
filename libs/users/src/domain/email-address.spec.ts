import { DomainError } from '@herald/events';
import { InvalidEmailError } from './domain-errors.js';
import { EmailAddress } from './email-address.js';

/** 247 characters: four 60-character labels and "com". */
const LONG_DOMAIN = ['b', 'c', 'd', 'e'].map((char) => char.repeat(60)).join('.') + '.com';

describe(EmailAddress.name, () => {
  describe('parse', () => {
    it('trims whitespace and lower-cases the address', () => {
      expect(EmailAddress.parse('  Ada.Lovelace@Example.COM \n').value).toBe('ada.lovelace@example.com');
    });

    it('accepts plus addressing and subdomains', () => {
      expect(EmailAddress.parse('ada+herald@mail.example.co.uk').toString()).toBe('ada+herald@mail.example.co.uk');
    });

    it('accepts a local part of exactly 64 characters', () => {
      expect(EmailAddress.parse(`${'a'.repeat(64)}@example.com`).value).toHaveLength(64 + '@example.com'.length);
    });

    it('accepts an address of exactly 254 characters', () => {
      const address = `${'a'.repeat(6)}@${LONG_DOMAIN}`;
      expect(address).toHaveLength(254);
      expect(EmailAddress.parse(address).value).toBe(address);
    });

    it.each([
      ['a missing @', 'ada.example.com'],
      ['two @', 'ada@lovelace@example.com'],
      ['an empty local part', '@example.com'],
      ['a space in the local part', 'ada lovelace@example.com'],
      ['a space in the domain', 'ada@exa mple.com'],
      ['a domain without a dot', 'ada@localhost'],
      ['a domain with an empty label', 'ada@example..com'],
      ['a domain starting with a hyphen', 'ada@-example.com'],
      ['angle brackets', '<ada@example.com>'],
      ['a display name with angle brackets', 'Ada <ada@example.com>'],
      ['a local part over 64 characters', `${'a'.repeat(65)}@example.com`],
      ['an address over 254 characters', `${'a'.repeat(7)}@${LONG_DOMAIN}`],
      ['an empty string', ''],
      ['only whitespace', '   '],
    ])('rejects %s', (_label, input) => {
      expect(() => EmailAddress.parse(input)).toThrow(InvalidEmailError);
    });

    it('raises a DomainError with code INVALID_EMAIL', () => {
      const error = (() => {
        try {
          EmailAddress.parse('nope');
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: 'INVALID_EMAIL' });
      expect(error).not.toHaveProperty('status'); // the domain knows no HTTP
    });
  });
});
