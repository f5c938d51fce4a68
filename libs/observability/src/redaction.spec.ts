import { maskEmail, maskEmailsIn, redactAttribute, redactQuery, redactText, redactUrl } from './redaction.js';

const TOKEN = 'Qm9vdHN0cmFwU2VsZWN0b3I.dmVyaWZpZXItMTIzNDU2Nzg5MC1hYmNkZWZnaGlqa2xt';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTk3In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo';

describe(maskEmail.name, () => {
  it('keeps the first character and the domain: a***@example.com', () => {
    expect(maskEmail('ada@example.com')).toBe('a***@example.com');
    expect(maskEmail('Ada.Lovelace+herald@mail.example.org')).toBe('A***@mail.example.org');
  });

  it('masks something that is not an address whole', () => {
    expect(maskEmail('no-at-sign')).toBe('***');
    expect(maskEmail('@example.com')).toBe('***');
  });

  it('is idempotent: a masked address masks to itself', () => {
    expect(maskEmail(maskEmail('ada@example.com'))).toBe('a***@example.com');
  });
});

describe(maskEmailsIn.name, () => {
  it("masks every address in a server's reply, in brackets, quotes or bare", () => {
    const reply = `550 5.1.1 <ada@example.com>: Recipient address rejected; also "bob@example.org" and carol.o'neil@example.net`;
    const masked = maskEmailsIn(reply);
    expect(masked).toBe(`550 5.1.1 <a***@example.com>: Recipient address rejected; also "b***@example.org" and c***@example.net`);
  });

  it('leaves a Message-ID (no dotted domain) and text without addresses alone', () => {
    expect(maskEmailsIn('Message-ID <reaction.0197@herald> sent')).toBe('Message-ID <reaction.0197@herald> sent');
  });
});

describe(redactQuery.name, () => {
  it('keeps the names and redacts every value not on the allow-list', () => {
    expect(redactQuery(`token=${TOKEN}`)).toBe('token=REDACTED');
    expect(redactQuery('page=2&token=abc&flag')).toBe('page=REDACTED&token=REDACTED&flag');
    expect(redactQuery('page=2&token=abc', ['page'])).toBe('page=2&token=REDACTED');
  });

  it('redacts a parameter whose name does not look like a name (it may be the secret)', () => {
    expect(redactQuery(TOKEN.replace('.', '%2E') + '$')).toBe('REDACTED');
  });
});

describe(redactUrl.name, () => {
  it('drops userinfo and the fragment and redacts query values of an absolute URL', () => {
    expect(redactUrl(`https://user:pa55@herald.test/reset-password?token=${TOKEN}#frag`)).toBe(
      'https://herald.test/reset-password?token=REDACTED',
    );
  });

  it('handles a request target, keeping its path as sent', () => {
    expect(redactUrl(`/verify-email?token=${TOKEN}`)).toBe('/verify-email?token=REDACTED');
    expect(redactUrl('/admin/queues/api/queues')).toBe('/admin/queues/api/queues');
  });

  it('redacts a path segment that looks like a token, and keeps ids and names', () => {
    expect(redactUrl(`/users/verify/${TOKEN.split('.')[1]}`)).toBe('/users/verify/REDACTED');
    expect(redactUrl('/admin/outbox/dead/0197a0b1-7c3e-7000-8000-0123456789ab/requeue')).toBe(
      '/admin/outbox/dead/0197a0b1-7c3e-7000-8000-0123456789ab/requeue',
    );
  });
});

describe(redactText.name, () => {
  it('redacts query values, credentials and fragments of URLs inside free text', () => {
    const text = `GET http://ops:hunter2hunter2@herald.test/reset-password?token=${TOKEN}&x=1#k failed`;
    expect(redactText(text)).toBe('GET http://herald.test/reset-password?token=REDACTED&x=REDACTED failed');
  });

  it('replaces JWTs, password hashes and Authorization credentials, and masks addresses', () => {
    const text = `user ada@example.com sent Bearer ${JWT}, hash ${HASH}, header Basic b3BzOmh1bnRlcjJodW50ZXIy`;
    const redacted = redactText(text);
    expect(redacted).toBe('user a***@example.com sent Bearer [redacted], hash [hash redacted], header Basic [redacted]');
    expect(redactText(`token ${JWT} alone`)).toBe('token [jwt redacted] alone');
  });

  it('leaves a stack trace, SQL with placeholders and ids as they are', () => {
    const stack = 'Error: boom\n    at Inbox.deliver (file:///app/dist/libs/events/src/inbox.js:80:13)';
    expect(redactText(stack)).toBe(stack);
    const sql = 'SELECT "id" FROM "users" WHERE "email" = $1 AND "id" <> $2';
    expect(redactText(sql)).toBe(sql);
  });
});

describe(redactAttribute.name, () => {
  it('applies the URL rule to URL attributes, the query rule to url.query and the text rule to the rest', () => {
    expect(redactAttribute('url.full', `http://herald.test/verify-email?token=${TOKEN}`)).toBe(
      'http://herald.test/verify-email?token=REDACTED',
    );
    expect(redactAttribute('http.target', `/verify-email?token=${TOKEN}`)).toBe('/verify-email?token=REDACTED');
    expect(redactAttribute('url.query', `token=${TOKEN}`)).toBe('token=REDACTED');
    expect(redactAttribute('exception.message', 'refused <ada@example.com>')).toBe('refused <a***@example.com>');
    expect(redactAttribute('http.response.status_code', 200)).toBe(200);
    expect(redactAttribute('herald.list', ['ada@example.com', 3])).toEqual(['a***@example.com', 3]);
  });
});
