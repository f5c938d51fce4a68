import { escapeHtml } from './html.js';
import { accountExistsNotice, passwordChangedNotice, passwordResetEmail, verificationEmail, welcomeEmail } from './templates.js';

const LINK = 'https://herald.example.com/verify-email?token=abc.def&x=1';
const APP_URL = 'https://herald.example.com';
const EVIL_NAME = '<script>alert("x")</script> & Co';

describe(verificationEmail.name, () => {
  const mail = verificationEmail({ displayName: 'Ada', link: LINK, expiresInHours: 24 });

  it('has a non-empty subject', () => {
    expect(mail.subject.trim()).not.toBe('');
  });

  it('puts the link in the text part', () => {
    expect(mail.text).toContain(LINK);
  });

  it('puts the link in an href of the html part, HTML-escaped', () => {
    expect(mail.html).toContain(`href="${escapeHtml(LINK)}"`);
    expect(mail.html).toContain('href="https://herald.example.com/verify-email?token=abc.def&amp;x=1"');
  });

  it('tells how long the link works', () => {
    expect(mail.text).toContain('24 hours');
    expect(mail.html).toContain('24 hours');
  });

  it('greets by display name, or plainly without one', () => {
    expect(mail.text).toMatch(/^Hello Ada,/);
    expect(verificationEmail({ displayName: null, link: LINK, expiresInHours: 24 }).text).toMatch(/^Hello,/);
  });

  it('HTML-escapes the display name', () => {
    const { html } = verificationEmail({ displayName: EVIL_NAME, link: LINK, expiresInHours: 24 });

    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
  });

  it('escapes a link that tries to break out of the href attribute', () => {
    const { html } = verificationEmail({ displayName: null, link: 'https://x.test/"><script>', expiresInHours: 1 });

    expect(html).not.toContain('"><script>');
    expect(html).toContain('href="https://x.test/&quot;&gt;&lt;script&gt;"');
  });
});

describe.each([
  ['welcomeEmail', welcomeEmail],
  ['accountExistsNotice', accountExistsNotice],
])('%s', (_name, render) => {
  const mail = render({ displayName: 'Ada', appUrl: APP_URL });

  it('has a non-empty subject', () => {
    expect(mail.subject.trim()).not.toBe('');
  });

  it('links to the app in text and html', () => {
    expect(mail.text).toContain(APP_URL);
    expect(mail.html).toContain(`href="${APP_URL}"`);
  });

  it('HTML-escapes the display name', () => {
    const { html } = render({ displayName: EVIL_NAME, appUrl: APP_URL });

    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});

describe('subjects', () => {
  it('differ between the three emails', () => {
    const subjects = [
      verificationEmail({ displayName: null, link: LINK, expiresInHours: 1 }).subject,
      welcomeEmail({ displayName: null, appUrl: APP_URL }).subject,
      accountExistsNotice({ displayName: null, appUrl: APP_URL }).subject,
    ];

    expect(new Set(subjects).size).toBe(3);
  });
});

describe(passwordResetEmail.name, () => {
  const link = 'https://herald.example.com/reset-password?token=abc.def&x=1';
  const mail = passwordResetEmail({ displayName: EVIL_NAME, link, expiresInMinutes: 60 });

  it('puts the link in the text part and, HTML-escaped, in an href of the html part', () => {
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${escapeHtml(link)}"`);
  });

  it('says how long the link works and escapes the display name', () => {
    expect(mail.text).toContain('60 minutes');
    expect(mail.html).not.toContain('<script>');
  });
});

describe(passwordChangedNotice.name, () => {
  const mail = passwordChangedNotice({ displayName: EVIL_NAME, appUrl: APP_URL });

  it('says what happened and where to act if it was not the owner, with no link that carries a token', () => {
    expect(mail.subject).toBe('Your password was changed');
    expect(mail.text).toContain(APP_URL);
    expect(mail.text).not.toMatch(/token=/);
    expect(mail.html).not.toContain('<script>');
  });
});
