import { Controller } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HtmlPage } from './html-page.js';

/**
 * The page behind the emailed reset link (APP_BASE_URL/reset-password?token=...).
 * GET changes nothing (mail scanners prefetch links): the person types the new
 * password, and the form POSTs it with the token to /auth/password-reset/confirm.
 * A front end may replace this page; the API contract is the POST.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Choose a new password</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 480px; margin: 48px auto; line-height: 1.5">
<h1>Choose a new password</h1>
<form id="reset">
  <label for="password">New password (at least 12 characters)</label><br>
  <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" maxlength="128" required style="width: 100%"><br><br>
  <button id="submit" type="submit">Set my new password</button>
</form>
<p id="message" role="status"></p>
<script>
  const token = new URLSearchParams(location.search).get('token') || '';
  const form = document.getElementById('reset');
  const message = document.getElementById('message');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = document.getElementById('submit');
    button.disabled = true;
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
</script>
</body></html>`;

@ApiExcludeController()
@Controller('reset-password')
export class ResetPasswordPageController {
  @HtmlPage()
  page(): string {
    return PAGE;
  }
}
