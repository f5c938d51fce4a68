import { Controller } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HtmlPage } from './html-page.js';

/**
 * The page behind the emailed link (APP_BASE_URL/verify-email?token=...).
 * GET changes nothing (mail scanners prefetch links): the person confirms
 * with a click, which POSTs the token to /users/verify-email. A front end
 * may replace this page; the API contract is the POST.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Confirm your email address</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 480px; margin: 48px auto; line-height: 1.5">
<h1>Confirm your email address</h1>
<p id="message">Click the button to confirm your email address.</p>
<button id="confirm" type="button">Confirm my email address</button>
<script>
  const token = new URLSearchParams(location.search).get('token') || '';
  const message = document.getElementById('message');
  const button = document.getElementById('confirm');
  button.addEventListener('click', async () => {
    button.disabled = true;
    const response = await fetch('/users/verify-email', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }),
    }).catch(() => null);
    const body = response ? await response.json().catch(() => ({})) : {};
    message.textContent = response && response.ok
      ? 'Thank you: your email address is confirmed. You can sign in now.'
      : (body.detail || 'This link is invalid, already used or expired. Ask for a new one.');
  });
</script>
</body></html>`;

@ApiExcludeController()
@Controller('verify-email')
export class VerifyEmailPageController {
  @HtmlPage()
  page(): string {
    return PAGE;
  }
}
