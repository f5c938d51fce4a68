import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { HeraldConfig } from '@herald/config';
import { MailTransport, nodemailerMessage, type Deduplication, type TransportMessage, type TransportReceipt } from './mail-transport.js';

/**
 * Writes each message as an .eml file under MAIL_DIR (the local default),
 * named by its idempotency key and created exclusively: a repeat finds the
 * file and writes nothing, for as long as the file is kept.
 */
export class FileTransport extends MailTransport {
  readonly name = 'file';
  readonly deduplication: Deduplication = {
    windowMs: Number.POSITIVE_INFINITY,
    by: 'the file name (the idempotency key), while the file is kept',
  };
  private readonly transport: Transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  private readonly dir: string;

  constructor(config: HeraldConfig) {
    super();
    this.dir = resolve(config.mail.dir);
  }

  async send(message: TransportMessage): Promise<TransportReceipt> {
    const info = (await this.transport.sendMail(nodemailerMessage(message))) as { message: Buffer };
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, `${message.idempotencyKey.replace(/[^\w.-]/g, '_')}.eml`);
    try {
      await writeFile(file, info.message, { flag: 'wx' });
    } catch (error) {
      // Written by an earlier attempt of this delivery: the message is there already.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return { destination: file };
  }

  close(): void {
    this.transport.close();
  }
}
