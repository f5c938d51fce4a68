import { Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainError } from '@herald/events';
import { ConfirmPasswordResetCommand } from '@herald/users';
import { FormBodyError, readFormBody } from '../admin/admin-form.js';
import { RateLimit } from '../http/rate-limit.js';
import { escapeHtml, HtmlAnswer, HtmlPage } from './html-page.js';

/** A token longer than this is no token of ours (they are about 90 characters); the JSON route says 200 too. */
const TOKEN_MAX_LENGTH = 200;

interface FormView {
  readonly token: string;
  /** Shown above the form (the password policy's words), or nothing. */
  readonly problem?: string;
}

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 480px; margin: 48px auto; line-height: 1.5">
${body}
</body></html>`;

/**
 * The reset form. Without JavaScript it POSTs (urlencoded) to this page's own
 * route, the token in a hidden field: never a password in a URL. With
 * JavaScript it posts JSON to /auth/password-reset/confirm and says the outcome
 * in place. Either way a GET changes nothing (mail scanners prefetch links).
 */
const formPage = ({ token, problem }: FormView) =>
  page(
    'Choose a new password',
    `<h1>Choose a new password</h1>
<form id="reset" method="post" action="/reset-password">
  <input type="hidden" name="token" value="${escapeHtml(token)}">
  <label for="password">New password (at least 12 characters)</label><br>
  <input id="password" name="newPassword" type="password" autocomplete="new-password" minlength="12" maxlength="128" required style="width: 100%"><br><br>
  <button id="submit" type="submit">Set my new password</button>
</form>
<p id="message" role="status">${problem ? escapeHtml(problem) : ''}</p>
<script>
  const form = document.getElementById('reset');
  const message = document.getElementById('message');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = document.getElementById('submit');
    button.disabled = true;
    const token = form.elements.token.value;
    const newPassword = document.getElementById('password').value;
    const response = await fetch('/auth/password-reset/confirm', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, newPassword }),
    }).catch(() => null);
    const body = response && response.status !== 204 ? await response.json().catch(() => ({})) : {};
    if (response && response.status === 204) {
      form.hidden = true;
      message.textContent = 'Your password is changed. You can sign in with it now.';
    } else {
      button.disabled = false;
      const problems = (body.errors || []).flatMap((error) => error.messages);
      message.textContent = problems.join(' ') || body.detail || 'Something went wrong; try again.';
    }
  });
</script>`,
  );

const DONE_PAGE = page(
  'Your password is changed',
  `<h1>Your password is changed</h1>
<p id="message" role="status">Your password is changed. You can sign in with it now.</p>`,
);

const INVALID_LINK_PAGE = page(
  'This link no longer works',
  `<h1>This link no longer works</h1>
<p id="message" role="status">The password reset link is invalid, already used, replaced or expired. Ask for a new one.</p>`,
);

/**
 * The page behind the emailed reset link (APP_BASE_URL/reset-password?token=...),
 * and the target of its form when JavaScript is off. A front end may replace
 * this page; the API contract is POST /auth/password-reset/confirm.
 *
 * No CSRF token: the reset token in the body is the credential. A foreign page
 * cannot know it, and one that posts its own token only changes the password
 * of the account the foreign party already controls.
 */
@ApiExcludeController()
@Controller('reset-password')
export class ResetPasswordPageController {
  constructor(private readonly commands: CommandBus) {}

  @HtmlPage()
  show(@Query('token') token?: string): string {
    return formPage({ token: typeof token === 'string' && token.length <= TOKEN_MAX_LENGTH ? token : '' });
  }

  /** The form posted without JavaScript: answers a page (200 done; 400 with the form again, or the dead-link page). */
  @Post()
  @RateLimit('reset-confirm')
  @HttpCode(200)
  @HtmlAnswer()
  async submit(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    let form: URLSearchParams;
    try {
      form = await readFormBody(req);
    } catch (error) {
      if (!(error instanceof FormBodyError)) throw error;
      res.status(error.status);
      return page('Something went wrong', `<h1>Something went wrong</h1><p id="message" role="status">${escapeHtml(error.message)}.</p>`);
    }
    const token = form.get('token') ?? '';
    const newPassword = form.get('newPassword') ?? '';
    if (token === '' || token.length > TOKEN_MAX_LENGTH) {
      res.status(400);
      return INVALID_LINK_PAGE;
    }
    try {
      // The command checks the password policy when it is made (a DomainError, like the JSON route's 400).
      await this.commands.execute(new ConfirmPasswordResetCommand(token, newPassword));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'INVALID_PASSWORD') {
        res.status(400);
        return formPage({ token, problem: error.message });
      }
      if (error.code === 'INVALID_RESET_TOKEN') {
        res.status(400);
        return INVALID_LINK_PAGE;
      }
      throw error;
    }
    return DONE_PAGE;
  }
}
