import type { AddressInfo, Socket } from 'node:net';
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

/**
 * An in-process SMTP server that behaves like a real MTA where it matters for
 * at-least-once: a message received in full (its final "." arrived) is queued
 * — kept in `messages` — even when the client dies before the "250" reply,
 * as Postfix does. A message whose client died in the middle of it is not.
 */
export class SmtpSink {
  /** Every message accepted, in order (an MTA's queue). */
  readonly messages: ReceivedMail[] = [];
  /** Messages received in full whose client was gone before the "250" reply (accepted all the same). */
  readonly acceptedAfterClientLeft: ReceivedMail[] = [];
  /** Messages received in full and not yet answered (with `delayMs`, they stay here that long). */
  receiving = 0;
  /** Holds every message this long after receiving it in full, before the "250": a slow SMTP server. */
  delayMs = 0;
  /** Holds the answer to RCPT TO this long (a message is then mid-conversation, not yet sent). */
  rcptDelayMs: () => number = () => 0;
  /** Runs after a message was received in full and before it is accepted. */
  beforeAccept?: (mail: ReceivedMail) => Promise<void>;
  /**
   * Recipients refused for good at RCPT TO, in Postfix's words for a mailbox that does not exist:
   * `550 5.1.1 <addr>: Recipient address rejected: User unknown in local recipient table` (the reply quotes the address).
   */
  rejectRecipients?: RegExp;
  /** Recipients refused for now at RCPT TO (`450 4.2.0 <addr>: Recipient address rejected: Greylisted`): a client tries again later. */
  deferRecipients?: RegExp;
  /**
   * A relay's idempotency rule (Resend-Idempotency-Key, X-EE-Idempotency-Key …): a message whose key this
   * header repeats is answered 250 and not stored when it is the same message, 554 when it is another.
   */
  idempotencyHeader?: string;
  /** Messages answered 250 without storing them: repeats of a key already seen (idempotencyHeader). */
  readonly repeatsDropped: ReceivedMail[] = [];
  /** Messages refused with 554: another message under a key already seen. */
  readonly keyConflicts: ReceivedMail[] = [];
  private readonly keys = new Map<string, string>();
  /** Every refusal at RCPT TO, in order: the address and the reply code. */
  readonly refusals: { readonly address: string; readonly responseCode: number }[] = [];
  /** Socket errors of clients that went away mid-transaction (a killed worker resets its connection). */
  readonly connectionErrors: Error[] = [];
  /** Client connections open now. */
  openConnections = 0;
  /** Messages whose data is being read (not yet in full). */
  private reading = 0;
  private readonly closedSessions = new Set<string>();
  private readonly receivingSince = new Set<{ startedAt: number }>();
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
        const answer = () => {
          // smtp-server replies `<responseCode> <message>`.
          if (this.rejectRecipients?.test(address.address)) {
            this.refusals.push({ address: address.address, responseCode: 550 });
            const reply = `5.1.1 <${address.address}>: Recipient address rejected: User unknown in local recipient table`;
            callback(Object.assign(new Error(reply), { responseCode: 550 }));
          } else if (this.deferRecipients?.test(address.address)) {
            this.refusals.push({ address: address.address, responseCode: 450 });
            const reply = `4.2.0 <${address.address}>: Recipient address rejected: Greylisted, try again later`;
            callback(Object.assign(new Error(reply), { responseCode: 450 }));
          } else {
            callback();
          }
        };
        const delay = this.rcptDelayMs();
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      },
      onData: (stream, session, callback) => {
        this.reading++;
        let read = false;
        const readDone = () => {
          if (!read) this.reading--;
          read = true;
        };
        // A client that dies mid-message: smtp-server destroys the stream (with an error, given a listener),
        // and it never ends, so the parser never finishes. Nothing was received in full.
        let ended = false;
        stream.on('error', () => undefined);
        stream.once('end', () => (ended = true));
        stream.once('close', () => {
          if (!ended) readDone(); // a message that ended is done once parsed and handed to accept()
        });
        simpleParser(stream).then(
          (parsed) => {
            readDone();
            return this.accept(parsed, session.id, callback);
          },
          (error: Error) => {
            readDone();
            callback(error);
          },
        );
      },
    });
    // smtp-server re-emits a client's ECONNRESET during a transaction on the server; without a listener
    // that 'error' event would be thrown in the test process. Fault tests kill clients on purpose.
    this.server.on('error', (error) => this.connectionErrors.push(error));
    // Counted on the sockets: smtp-server calls onConnect only after its reverse DNS lookup, so a client
    // that dies early is closed without ever having been "connected".
    this.server.server.on('connection', (socket: Socket) => {
      this.openConnections++;
      socket.once('close', () => this.openConnections--);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** A message received in full: held for `delayMs`, then queued whatever became of its client. */
  private async accept(parsed: ParsedMail, sessionId: string, callback: (error?: Error | null) => void): Promise<void> {
    const mail = toReceivedMail(parsed);
    this.receiving++;
    const inFlight = { startedAt: Date.now() };
    this.receivingSince.add(inFlight);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      await this.beforeAccept?.(mail);
      const key = this.idempotencyHeader ? header(parsed, this.idempotencyHeader) : undefined;
      if (key !== undefined) {
        // What makes two messages "the same": what the recipient reads. Date and transport headers may differ.
        const content = JSON.stringify([mail.to, mail.subject, mail.text, mail.html]);
        const seen = this.keys.get(key);
        if (seen !== undefined && seen !== content) {
          this.keyConflicts.push(mail);
          callback(Object.assign(new Error('5.7.0 idempotency key already used with a different message'), { responseCode: 554 }));
          return;
        }
        if (seen !== undefined) {
          this.repeatsDropped.push(mail);
          callback();
          return;
        }
        this.keys.set(key, content);
      }
      this.messages.push(mail);
      if (this.closedSessions.has(sessionId)) this.acceptedAfterClientLeft.push(mail);
      callback();
    } catch (error) {
      callback(error as Error);
    } finally {
      this.receiving--;
      this.receivingSince.delete(inFlight);
    }
  }

  /** No client connected and no message half read: what the sink holds now is all it will get from them. */
  get settled(): boolean {
    return this.openConnections === 0 && this.reading === 0;
  }

  /** How long the oldest message still being held has been waiting (0 when none is). */
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

function header(mail: ParsedMail, name: string): string | undefined {
  const value = mail.headers.get(name.toLowerCase());
  return typeof value === 'string' ? value : undefined;
}

function toReceivedMail(mail: ParsedMail): ReceivedMail {
  const to = Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text;
  return {
    to: to ?? '',
    subject: mail.subject ?? '',
    text: mail.text ?? '',
    html: typeof mail.html === 'string' ? mail.html : '',
    eventId: header(mail, 'x-herald-event-id'),
    kind: header(mail, 'x-herald-mail-kind'),
    raw: mail,
  };
}

/** The token in a verification email's link. */
export function tokenFromMail(mail: ReceivedMail): string {
  const match = /[?&]token=([^\s&"<>]+)/.exec(mail.text);
  if (!match) throw new Error(`no token link in mail: ${mail.text}`);
  return decodeURIComponent(match[1]!);
}
