import { escapeHtml, layout } from './html.js';

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const greeting = (displayName: string | null) => (displayName ? `Hello ${displayName},` : 'Hello,');

export function verificationEmail(input: { displayName: string | null; link: string; expiresInHours: number }): RenderedMail {
  const subject = 'Confirm your email address';
  const text = `${greeting(input.displayName)}

Please confirm your email address by opening this link:

${input.link}

The link works once and expires in ${input.expiresInHours} hours. If you did not sign up, ignore this email.
`;
  const html = layout(
    subject,
    `<p>${escapeHtml(greeting(input.displayName))}</p>
<p>Please confirm your email address:</p>
<p><a href="${escapeHtml(input.link)}">Confirm my email address</a></p>
<p>The link works once and expires in ${input.expiresInHours} hours. If you did not sign up, ignore this email.</p>`,
  );
  return { subject, text, html };
}

export function welcomeEmail(input: { displayName: string | null; appUrl: string }): RenderedMail {
  const subject = 'Welcome to herald';
  const text = `${greeting(input.displayName)}

Your email address is confirmed and your account is ready. Sign in at ${input.appUrl}.
`;
  const html = layout(
    subject,
    `<p>${escapeHtml(greeting(input.displayName))}</p>
<p>Your email address is confirmed and your account is ready.</p>
<p><a href="${escapeHtml(input.appUrl)}">Sign in</a></p>`,
  );
  return { subject, text, html };
}

export function accountExistsNotice(input: { displayName: string | null; appUrl: string }): RenderedMail {
  const subject = 'Someone tried to register with your email address';
  const text = `${greeting(input.displayName)}

Someone (perhaps you) tried to create a new herald account with this email address, but an account already exists.
If it was you, sign in at ${input.appUrl} instead. If not, you can ignore this email: nothing was changed.
`;
  const html = layout(
    subject,
    `<p>${escapeHtml(greeting(input.displayName))}</p>
<p>Someone (perhaps you) tried to create a new herald account with this email address, but an account already exists.</p>
<p>If it was you, <a href="${escapeHtml(input.appUrl)}">sign in</a> instead. If not, you can ignore this email: nothing was changed.</p>`,
  );
  return { subject, text, html };
}

export function passwordResetEmail(input: { displayName: string | null; link: string; expiresInMinutes: number }): RenderedMail {
  const subject = 'Choose a new password';
  const text = `${greeting(input.displayName)}

Someone (perhaps you) asked to reset the password of your herald account. To choose a new password, open this link:

${input.link}

The link works once and expires in ${input.expiresInMinutes} minutes. If you did not ask for it, ignore this email: your password stays as it is.
`;
  const html = layout(
    subject,
    `<p>${escapeHtml(greeting(input.displayName))}</p>
<p>Someone (perhaps you) asked to reset the password of your herald account.</p>
<p><a href="${escapeHtml(input.link)}">Choose a new password</a></p>
<p>The link works once and expires in ${input.expiresInMinutes} minutes. If you did not ask for it, ignore this email: your password stays as it is.</p>`,
  );
  return { subject, text, html };
}

export function passwordChangedNotice(input: { displayName: string | null; appUrl: string }): RenderedMail {
  const subject = 'Your password was changed';
  const text = `${greeting(input.displayName)}

The password of your herald account was just changed, and every session signed in before was signed out.
If this was you, there is nothing to do. If it was not, choose a new password at once with "forgot password" at ${input.appUrl}.
`;
  const html = layout(
    subject,
    `<p>${escapeHtml(greeting(input.displayName))}</p>
<p>The password of your herald account was just changed, and every session signed in before was signed out.</p>
<p>If this was you, there is nothing to do. If it was not, choose a new password at once with "forgot password" at <a href="${escapeHtml(input.appUrl)}">${escapeHtml(input.appUrl)}</a>.</p>`,
  );
  return { subject, text, html };
}
