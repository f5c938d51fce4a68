import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reactionsOf } from '@herald/events';
import { UserRegistered } from '@herald/users';
import { ACCOUNT_EMAIL_REACTIONS } from './index.js';
import { VerificationEmailOnRegistration } from './verification-email-on-registration.reaction.js';

const declared = ACCOUNT_EMAIL_REACTIONS.flatMap((reaction) => reactionsOf(reaction));
const pascal = (kebab: string) => kebab.replace(/(^|-)([a-z])/g, (_, _dash: string, letter: string) => letter.toUpperCase());

describe('the notifications reactions', () => {
  it('are one per file: each reaction file is listed, and declares one reaction named as the file', () => {
    const files = readdirSync(dirname(fileURLToPath(import.meta.url))).filter((file) => file.endsWith('.reaction.ts'));
    expect(files.map((file) => file.replace(/\.reaction\.ts$/, '')).sort()).toEqual(declared.map((reaction) => reaction.name).sort());
    for (const reactionClass of ACCOUNT_EMAIL_REACTIONS) {
      const [reaction, ...others] = reactionsOf(reactionClass);
      expect(others).toEqual([]);
      expect(reactionClass.name).toBe(pascal(reaction!.name));
    }
  });

  // outbox:replay warns of every delivery of a reaction that mints credentials (issue 19, item 8): the
  // reactions whose job mints a verification or reset link must say so, and no other.
  it('declare mintsCredentials exactly on those that mail a verification or reset link', () => {
    const minting = declared
      .filter((reaction) => reaction.mintsCredentials)
      .map((reaction) => reaction.name)
      .sort();

    expect(minting).toEqual(['password-reset-email-on-request', 'verification-email-on-registration', 'verification-email-on-request']);
    expect(declared.length).toBeGreaterThan(minting.length);
  });

  it('turn an event into the job fields of its user, and nothing more (no address, no secret)', () => {
    const event = UserRegistered.create('01938a8e-7c00-7000-8000-0000000000c1', { email: 'new@example.com', displayName: 'New' });
    expect(new VerificationEmailOnRegistration().queueVerificationEmail(event)).toEqual({ userId: event.aggregateId });
    for (const reactionClass of ACCOUNT_EMAIL_REACTIONS) {
      const [reaction] = reactionsOf(reactionClass);
      const method = reaction!.declaredAt.split('.')[1]!;
      const instance = new reactionClass() as unknown as Record<string, (event: unknown) => unknown>;
      const other = new reaction!.event({ email: 'new@example.com' }, { ...event, aggregateId: '01938a8e-7c00-7000-8000-0000000000c2' });
      expect(instance[method]!(other)).toEqual({ userId: '01938a8e-7c00-7000-8000-0000000000c2' });
    }
  });
});
