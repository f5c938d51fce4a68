import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@herald/config';
import { FileTransport } from './file-transport.js';

describe(FileTransport.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-mail-'));
  const transport = new FileTransport(loadConfig({ MAIL_DIR: dir }));
  const message = {
    from: 'herald <no-reply@herald.local>',
    to: 'ada@example.com',
    subject: 'Verify your email',
    text: 'the link',
    html: '<p>the link</p>',
    messageId: 'verification-email-on-registration.0190b8a0-0000-7000-8000-000000000003@herald',
    idempotencyKey: 'herald.verification-email-on-registration.0190b8a0-0000-7000-8000-000000000003',
    headers: {},
  };

  afterAll(() => {
    transport.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one .eml named by the idempotency key, and nothing more for a repeat of it', async () => {
    const first = await transport.send(message);
    const again = await transport.send({ ...message, text: 'what a retry would never send' });
    expect(again.destination).toBe(first.destination);
    expect(readdirSync(dir)).toEqual([`${message.idempotencyKey}.eml`]);
    const written = readFileSync(first.destination, 'utf8');
    expect(written).toMatch(/^Message-ID:\s+<verification-email-on-registration\.0190b8a0-0000-7000-8000-000000000003@herald>$/m);
    expect(written).toContain('the link');
    expect(written).not.toContain('what a retry would never send');
    expect(transport.deduplication.windowMs).toBe(Number.POSITIVE_INFINITY);
  });
});
