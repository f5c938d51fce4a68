import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait-for.js';

export interface ReceivedMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly eventId: string | undefined;
  readonly kind: string | undefined;
  readonly raw: ParsedMail;
}

/** An in-process SMTP server that accepts everything and keeps what it got. */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  /** When each message now being received started (ms since epoch). */
  private readonly receivingSince = new Set<{ startedAt: number }>();
  /** Messages whose data is being received (with `delayMs`, they stay here that long). */
  receiving = 0;
  /** Holds every message this long before accepting it: a slow SMTP server. */
  delayMs = 0;
  /** Recipients refused with 550, as a server does for a mailbox that does not exist. */
  rejectRecipients?: RegExp;
  /** Sessions whose client went away: a message they were sending was never accepted. */
  private readonly closedSessions = new Set<string>();
  /** Socket errors of clients that went away mid-transaction (a killed worker resets its connection). */
  readonly connectionErrors: Error[] = [];
  private server?: SMTPServer;
  port = 0;

  /** Listens on a free port, or on the same port again after a stop(). */
  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // stop() answers open connections with 421 at once, as a server going down does, instead of
      // waiting 30 s for clients to hang up.
      closeTimeout: 1,
      onClose: (session) => {
        this.closedSessions.add(session.id);
      },
      onRcptTo: (address, _session, callback) => {
        if (this.rejectRecipients?.test(address.address)) {
          callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        } else {
          callback();
        }
      },
      onData: (stream, session, callback) => {
        this.receiving++;
        const inFlight = { startedAt: Date.now() };
        this.receivingSince.add(inFlight);
        simpleParser(stream)
          .then(async (mail) => {
            if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
            if (this.closedSessions.has(session.id)) throw new Error('client disconnected before the message was accepted');
            const header = (name: string) => {
              const value = mail.headers.get(name);
              return typeof value === 'string' ? value : undefined;
            };
            const to = Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text;
            this.messages.push({
              to: to ?? '',
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              eventId: header('x-herald-event-id'),
              kind: header('x-herald-mail-kind'),
              raw: mail,
            });
            callback();
          })
          .catch((error: Error) => callback(error))
          .finally(() => {
            this.receiving--;
            this.receivingSince.delete(inFlight);
          });
      },
    });
    // smtp-server re-emits a client's ECONNRESET during a transaction on the server; without a listener
    // that 'error' event would be thrown in the test process. Fault tests kill clients on purpose.
    this.server.on('error', (error) => this.connectionErrors.push(error));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** How long the oldest message still being received has been at it (0 when none is). */
  get oldestReceivingMs(): number {
    const starts = [...this.receivingSince].map((entry) => entry.startedAt);
    return starts.length ? Date.now() - Math.min(...starts) : 0;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  to(address: string, kind?: string): ReceivedMail[] {
    return this.messages.filter((mail) => mail.to === address && (kind === undefined || mail.kind === kind));
  }

  /** How many mails each address received. */
  countsByRecipient(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const mail of this.messages) counts.set(mail.to, (counts.get(mail.to) ?? 0) + 1);
    return counts;
  }

  async waitForMail(address: string, kind: string, count = 1, timeoutMs = 20_000): Promise<ReceivedMail[]> {
    return waitFor(
      `${count} "${kind}" mail(s) to ${address}`,
      () => (this.to(address, kind).length >= count ? this.to(address, kind) : null),
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The token in a verification email's link. */
export function tokenFromMail(mail: ReceivedMail): string {
  const match = /[?&]token=([^\s&"<>]+)/.exec(mail.text);
  if (!match) throw new Error(`no token link in mail: ${mail.text}`);
  return decodeURIComponent(match[1]!);
}
