import { SendVerificationEmail } from '@herald/notifications';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { processEnded, type LauncherProcess } from '../support/app-process.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

const PASSWORD = 'a long and lovely passphrase';
const SLOTS = 12;

/** One registration of the burst, as the client saw it. */
interface Attempt {
  email: string;
  /** When the whole request had been handed to the OS (performance.now()); unset if it never was. */
  writtenAt?: number;
  status?: number;
  headers?: IncomingHttpHeaders;
  body?: string;
  /** A connection failure instead of an answer. */
  error?: string;
}

/** POST /users over node:http (keep-alive agent), recording when the request was written and what came back. */
function register(agent: Agent, port: number, email: string, attempt: Attempt): Promise<void> {
  const payload = JSON.stringify({ email, password: PASSWORD });
  return new Promise((resolve) => {
    const fail = (error: NodeJS.ErrnoException) => {
      attempt.error ??= error.code ?? error.message;
      resolve();
    };
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/users',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('error', fail);
        res.on('end', () => {
          Object.assign(attempt, { status: res.statusCode, headers: res.headers, body });
          resolve();
        });
      },
    );
    req.on('finish', () => (attempt.writtenAt = performance.now()));
    req.on('error', fail);
    req.end(payload);
  });
}

/**
 * SLOTS clients registering one address after another (a fresh one each time), each until the API
 * refuses (503) or cannot be reached, or the launcher has exited.
 */
function startBurst(stack: Stack, launcher: LauncherProcess, tag: string) {
  const agent = new Agent({ keepAlive: true });
  const attempts: Attempt[] = [];
  const slot = async (s: number) => {
    for (let i = 0; !launcher.exited; i++) {
      const attempt: Attempt = { email: `${tag}-${s}-${i}@example.com` };
      attempts.push(attempt);
      await register(agent, stack.apiPort, attempt.email, attempt);
      if (attempt.status !== 202) return;
    }
  };
  const done = Promise.all(Array.from({ length: SLOTS }, (_, s) => slot(s))).finally(() => agent.destroy());
  return { attempts, done, accepted: () => attempts.filter((a) => a.status === 202) };
}

/** What the burst saw, checked against what a draining API promises; returns the accepted addresses. */
function checkAnswers(attempts: Attempt[], stoppedAt: number): { accepted: string[]; refused: string[]; unreached: string[] } {
  // Every request written before the stop was answered: accepted (202) or, if it reached the API once it
  // was draining, refused with 503 problem+json. Never a reset, never another status.
  const writtenBefore = attempts.filter((a) => a.writtenAt !== undefined && a.writtenAt < stoppedAt);
  expect(writtenBefore.filter((a) => a.status !== 202 && a.status !== 503)).toEqual([]);
  // Every answer at all is one of those two.
  expect(attempts.filter((a) => a.status !== undefined && a.status !== 202 && a.status !== 503)).toEqual([]);
  const refused = attempts.filter((a) => a.status === 503);
  for (const attempt of refused) {
    expect(attempt.headers!['content-type']).toMatch(/^application\/problem\+json/);
    expect(attempt.headers!.connection).toBe('close');
    expect(attempt.headers!['retry-after']).toBe('1');
    expect(JSON.parse(attempt.body!)).toMatchObject({ status: 503, code: 'SHUTTING_DOWN' });
  }
  // Requests written after the stop may also find the API gone (no listener, or a connection it closed
  // before any request arrived on it); the database check below shows none of them was taken.
  const unreached = attempts.filter((a) => a.status === undefined);
  expect(unreached.filter((a) => !/^(ECONNREFUSED|ECONNRESET|EPIPE)$|socket hang up/.test(a.error ?? ''))).toEqual([]);
  return {
    accepted: attempts.filter((a) => a.status === 202).map((a) => a.email),
    refused: refused.map((a) => a.email),
    unreached: unreached.map((a) => a.email),
  };
}

const messages = (launcher: LauncherProcess, app: 'api' | 'worker', msg: string) =>
  launcher.appLogs(app).filter((line) => line.msg === msg);

describe('The launcher (scripts/run-all.mjs, behind npm start / start:api / start:worker) and stop signals', () => {
  const stack = new Stack();
  /** Every address the API answered 202, over all tests, and every one it did not take. */
  const accepted: string[] = [];
  const notTaken: string[] = [];

  beforeAll(async () => {
    await stack.start();
  });
  afterAll(async () => {
    await stack.stop();
  });

  /**
   * Registrations in the database are exactly the accepted ones — an account, or a request the worker has
   * yet to resolve (it deletes the request as it creates the account) — and every outbox row was dispatched.
   */
  async function expectStoredExactlyAccepted(): Promise<void> {
    const users = await stack.db.query<{ email: string }>(
      `SELECT email FROM users UNION ALL SELECT email FROM account_requests WHERE kind = 'registration'`,
    );
    expect(users.map((u) => u.email).sort()).toEqual([...accepted].sort());
    expect(await stack.db.query(`SELECT id FROM outbox WHERE status <> 'dispatched'`)).toEqual([]);
  }

  // One launcher run per case: how a stop reaches it. A process group is what systemd, supervisors and a
  // terminal's Ctrl-C signal; every process in it gets the signal.
  const stops: { how: string; stop: (launcher: LauncherProcess) => void }[] = [
    { how: 'SIGTERM to its process group', stop: (l) => l.signalGroup('SIGTERM') },
    { how: 'SIGINT to its process group (Ctrl-C)', stop: (l) => l.signalGroup('SIGINT') },
    { how: 'SIGTERM to the launcher alone', stop: (l) => l.signal('SIGTERM') },
  ];

  it('stopped in the middle of a burst, every app drains once and the launcher exits 0: each request answered, each accepted registration mailed once', async () => {
    for (const [round, { how, stop }] of stops.entries()) {
      const launcher = await stack.launcher(['api', 'worker'], { RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
      const burst = startBurst(stack, launcher, `group-${round}`);
      await waitFor(
        'the burst under way',
        () => burst.accepted().length >= 2 * SLOTS || burst.attempts.some((a) => a.status !== undefined && a.status !== 202),
      );

      const stoppedAt = performance.now();
      stop(launcher);
      const exit = await launcher.waitExit();
      await burst.done;

      const context = `${how}\n--- launcher output ---\n${launcher.lines.slice(-30).join('\n')}`;
      expect({ exit, context }).toEqual({ exit: { code: 0, signal: null }, context });
      const answers = checkAnswers(burst.attempts, stoppedAt);
      expect(answers.refused.length).toBeGreaterThan(0); // the API kept answering while it drained
      accepted.push(...answers.accepted);
      notTaken.push(...answers.refused, ...answers.unreached);

      // Each app got the stop once (no "already shutting down"), drained, and said so.
      for (const app of ['api', 'worker'] as const) {
        expect({ how, app, stops: messages(launcher, app, 'shutting down: finishing work in flight').length }).toEqual({
          how,
          app,
          stops: 1,
        });
        expect({ how, app, repeats: messages(launcher, app, 'already shutting down').length }).toEqual({ how, app, repeats: 0 });
        expect({ how, app, stopped: messages(launcher, app, 'stopped').length }).toEqual({ how, app, stopped: 1 });
      }
      expect(launcher.own().filter((line) => /stopping|already stopping/.test(line))).toHaveLength(1);
      expect(launcher.own()).toEqual(expect.arrayContaining(['[run-all] api exited (0)', '[run-all] worker exited (0)']));
      await expectStoredExactlyAccepted();
    }

    // The launcher's worker may have stopped before the queue was empty: a fresh worker finishes it.
    const worker = await stack.worker().startAndWaitReady();
    for (const email of accepted) await stack.smtp.waitForMail(email, SendVerificationEmail.name);
    const queue = stack.emailQueue();
    await waitFor('the email queue to be idle', async () => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0);
    });
    const twice = [...stack.smtp.countsByRecipient()].filter(([email, count]) => accepted.includes(email) && count !== 1);
    expect(twice).toEqual([]);
    expect(notTaken.filter((email) => stack.smtp.to(email).length > 0)).toEqual([]);
    expect(await worker.stop()).toEqual({ code: 0, signal: null });
  }, 240_000);

  it('killed with SIGKILL, the launcher takes its apps with it: they stop as on SIGTERM (requests answered, dispatches drained)', async () => {
    const launcher = await stack.launcher(['api'], { RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
    const apiPid = launcher.appPid('api')!;
    const burst = startBurst(stack, launcher, 'sigkill');
    await waitFor('the burst under way', () => burst.accepted().length >= SLOTS);

    const stoppedAt = performance.now();
    launcher.signal('SIGKILL'); // the launcher alone: its apps run in process groups of their own
    expect(await launcher.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor('the API to end after its launcher', () => processEnded(apiPid), 15_000);
    await burst.done;

    const answers = checkAnswers(burst.attempts, stoppedAt);
    accepted.push(...answers.accepted);
    notTaken.push(...answers.refused, ...answers.unreached);
    await expectStoredExactlyAccepted();
  });

  it('when an app exits on its own, the launcher stops the others and exits with that app’s status', async () => {
    const launcher = await stack.launcher(['api', 'worker']).startAndWaitReady();
    process.kill(launcher.appPid('worker')!, 'SIGKILL');

    expect(await launcher.waitExit()).toEqual({ code: 128 + 9, signal: null });
    expect(launcher.own()).toEqual(expect.arrayContaining(['[run-all] worker exited (SIGKILL)', '[run-all] api exited (0)']));
    expect(messages(launcher, 'api', 'stopped')).toHaveLength(1);
  });
});
