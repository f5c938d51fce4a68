import { randomUUID } from 'node:crypto';
import { OutboxStatus } from '@herald/events';
import { createApiHarness, type ApiHarness } from '../support/api-harness.js';
import { checkedFetch } from '../support/contract/index.js';
import { createPipelineHarness, ThingHappened, type PipelineHarness } from '../support/pipeline-harness.js';

const ADMIN = { ADMIN_USER: 'operator', ADMIN_PASSWORD: 'a-long-admin-password' };
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const AUTH = basic(ADMIN.ADMIN_USER, ADMIN.ADMIN_PASSWORD);
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const HOSTILE_LABEL = 'poison <script>alert("console")</script>';

/** The API (in process) and, on its database, the event platform with the test context, whose relay makes dead rows. */
interface Console {
  api: ApiHarness;
  events: PipelineHarness;
}

async function startConsole(readOnly: boolean): Promise<Console> {
  const api = await createApiHarness({ env: { ...ADMIN, ADMIN_READ_ONLY: String(readOnly) } });
  const events = await createPipelineHarness({ db: api.db, env: { OUTBOX_MAX_ATTEMPTS: '1' } });
  return { api, events };
}

async function stopConsole(c: Console | undefined): Promise<void> {
  await c?.events.close();
  await c?.api.close();
}

/**
 * Dead rows made by the real pipeline: the test context's audit reaction refuses
 * labels starting with "poison", so the post-commit dispatch fails, and the
 * relay's one allowed attempt (OUTBOX_MAX_ATTEMPTS=1) dead-letters the row.
 */
async function poisonRows({ events }: Console, count: number, label = 'poison row'): Promise<string[]> {
  const made = Array.from({ length: count }, () => ThingHappened.create(randomUUID(), { label }));
  await events.uow.run(() => events.uow.record(made));
  await events.postCommit.drain();
  expect(await events.relay.runOnce()).toMatchObject({ dead: count });
  return made.map((event) => event.eventId);
}

/** A healthy event: delivered right after its commit. */
async function deliveredRow({ events }: Console): Promise<string> {
  const event = ThingHappened.create(randomUUID(), { label: 'fine' });
  await events.uow.run(() => events.uow.record([event]));
  await events.postCommit.drain();
  return event.eventId;
}

const rowOf = async ({ api }: Console, id: string) =>
  (await api.db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM outbox WHERE id = $1', [id]))[0];

/** POSTs the requeue form as the console page would (same Origin); `null` leaves a header out. Every answer is checked against openapi.json. */
const requeue = ({ api }: Console, body: string, headers: Record<string, string | null> = {}) =>
  checkedFetch(`${api.baseUrl}/admin/outbox/requeue`, {
    method: 'POST',
    redirect: 'manual',
    headers: Object.fromEntries(
      Object.entries({ ...AUTH, ...FORM, origin: api.baseUrl, ...headers }).filter((entry): entry is [string, string] => entry[1] !== null),
    ),
    body,
  });

const page = async ({ api }: Console, path = '/admin/outbox') => {
  const response = await api.get(path, AUTH);
  expect(response.status).toBe(200);
  return response.text();
};

describe('Outbox console at /admin/outbox', () => {
  describe('writable (ADMIN_READ_ONLY=false)', () => {
    let c: Console;

    beforeAll(async () => {
      c = await startConsole(false);
    });
    afterEach(async () => {
      await c.api.db.query('DELETE FROM outbox');
    });
    afterAll(async () => {
      await stopConsole(c);
    });

    it.each([
      ['GET', '/admin/outbox'],
      ['GET', '/admin/outbox/'],
      ['HEAD', '/admin/outbox'],
      ['GET', '/admin/outbox/requeue'],
      ['POST', '/admin/outbox/requeue'],
      ['POST', '/admin/outbox'],
      ['DELETE', '/admin/outbox/requeue'],
      ['GET', '/admin/outbox/no-such-page'],
    ])('answers %s %s without credentials with 401 and a Basic challenge', async (method, path) => {
      const response = await fetch(`${c.api.baseUrl}${path}`, { method, headers: { origin: c.api.baseUrl } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    });

    it('answers its refusals as the rest of the API does: problem+json with the path, the correlation id and X-Request-Id', async () => {
      for (const [path, init, status, code] of [
        ['/admin/outbox/requeue', { method: 'POST' }, 401, 'UNAUTHENTICATED'],
        ['/admin/outbox/requeue', { method: 'GET', headers: AUTH }, 405, 'METHOD_NOT_ALLOWED'],
        ['/admin/outbox/no-such-page', { headers: AUTH }, 404, 'NOT_FOUND'],
      ] as const) {
        const response = await checkedFetch(`${c.api.baseUrl}${path}`, init);
        expect(response.status).toBe(status);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const requestId = response.headers.get('x-request-id');
        expect(requestId).toBeTruthy();
        expect(await response.json()).toMatchObject({ status, code, instance: path, correlationId: requestId });
      }
    });

    it('refuses wrong credentials and changes nothing', async () => {
      const [dead] = await poisonRows(c, 1);
      for (const headers of [
        basic('operator', 'wrong-password-123'),
        basic('someone', ADMIN.ADMIN_PASSWORD),
        { authorization: 'Bearer x' },
      ]) {
        const response = await checkedFetch(`${c.api.baseUrl}/admin/outbox/requeue`, {
          method: 'POST',
          redirect: 'manual',
          headers: { ...headers, ...FORM, origin: c.api.baseUrl },
          body: `id=${dead}`,
        });
        expect(response.status).toBe(401);
      }
      expect(await rowOf(c, dead!)).toEqual({ status: OutboxStatus.Dead, attempts: 1 });
    });

    it('shows the backlog, the counts per event type and each dead row with its error, escaped', async () => {
      const [dead] = await poisonRows(c, 1, HOSTILE_LABEL);
      await deliveredRow(c);
      const response = await c.api.get('/admin/outbox', AUTH);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await response.text();

      expect(html).toContain('<dd id="pending">0</dd>');
      expect(html).toContain('<dd id="dead-total">1</dd>');
      expect(html).toMatch(/<dd id="dispatch-lag">median \d/);
      expect(html).toMatch(
        new RegExp(`<th scope="row">${ThingHappened.eventType.replace('.', '\\.')}</th>\\s*<td>0</td><td>1</td><td>1</td>`),
      );
      expect(html).toContain(`<tr data-id="${dead}">`);
      expect(html).toContain('reaction refuses poison &lt;script&gt;alert(&quot;console&quot;)&lt;/script&gt;');
      expect(html).not.toContain('<script');
      expect(html).toContain(`name="id" value="${dead}"`);
      expect(html).toContain('Requeue all 1 dead row');
    });

    it('takes the dispatch lag from the latest dispatched rows and counts only the last hour of them', async () => {
      const [fast, slow] = [await deliveredRow(c), await deliveredRow(c)];
      // Known lags: the figures must come from these timestamps, whatever the machine's speed.
      await c.api.db.query(`UPDATE outbox SET dispatched_at = created_at + interval '1 second' WHERE id = $1`, [fast]);
      await c.api.db.query(`UPDATE outbox SET dispatched_at = created_at + interval '3 seconds' WHERE id = $1`, [slow]);
      const html = await page(c);
      expect(html).toMatch(/median 2\.0 s · p95 2\.9 s · max 3\.0 s\s*<small>\(last 2 dispatched rows\)/);
      expect(html).toMatch(/<td>0<\/td><td>0<\/td><td>2<\/td>/);

      await c.api.db.query(`UPDATE outbox SET dispatched_at = now() - interval '2 hours', created_at = now() - interval '2 hours'`);
      expect(await page(c)).toContain('No pending or dead rows, nothing dispatched recently.');
    });

    it('requeues one dead row (303 back to the page with a notice); the other stays dead', async () => {
      const [first, second] = await poisonRows(c, 2);
      const response = await requeue(c, `id=${first!.toUpperCase()}`);
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/admin/outbox?requeued=1');
      expect(await rowOf(c, first!)).toEqual({ status: OutboxStatus.Pending, attempts: 0 });
      expect(await rowOf(c, second!)).toEqual({ status: OutboxStatus.Dead, attempts: 1 });

      const html = await page(c, response.headers.get('location')!);
      expect(html).toContain('Requeued 1 dead row');
      expect(html).toContain('<dd id="pending">1</dd>');
      expect(html).not.toContain(`<tr data-id="${first}">`);
      expect(html).toContain(`<tr data-id="${second}">`);
    });

    it('requeues every dead row at once', async () => {
      const dead = await poisonRows(c, 3);
      const response = await requeue(c, 'all=dead');
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/admin/outbox?requeued=3');
      for (const id of dead) expect(await rowOf(c, id)).toEqual({ status: OutboxStatus.Pending, attempts: 0 });
      expect(await page(c)).toContain('No dead rows.');
    });

    it('sends back to the page with a notice when the row is no longer dead or unknown', async () => {
      const [dead] = await poisonRows(c, 1);
      const delivered = await deliveredRow(c);
      expect((await requeue(c, `id=${dead}`)).status).toBe(303);
      for (const id of [dead!, delivered, randomUUID()]) {
        const response = await requeue(c, `id=${id}`);
        expect(response.status).toBe(303);
        expect(response.headers.get('location')).toBe('/admin/outbox?stale=1');
      }
      expect(await rowOf(c, delivered)).toMatchObject({ status: OutboxStatus.Dispatched });
      expect(await page(c, '/admin/outbox?stale=1')).toContain('no longer dead');
    });

    it.each([
      ['an id that is no UUID', 'id=42'],
      ['an id with SQL in it', `id=${encodeURIComponent("' OR 1=1 --")}`],
      ['two ids', `id=${randomUUID()}&id=${randomUUID()}`],
      ['no field', ''],
      ['an unknown field', 'status=dead'],
      ['all with another value', 'all=pending'],
    ])('answers 400 problem+json to a form with %s, and changes nothing', async (_, body) => {
      const [dead] = await poisonRows(c, 1);
      const response = await requeue(c, body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/problem\+json/);
      expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await rowOf(c, dead!)).toEqual({ status: OutboxStatus.Dead, attempts: 1 });
    });

    it('answers 415 to a body that is not a form and 413 to an oversized one', async () => {
      const json = await requeue(c, JSON.stringify({ all: 'dead' }), { 'content-type': 'application/json' });
      expect(json.status).toBe(415);
      const large = await requeue(c, `id=${'a'.repeat(10_000)}`);
      expect(large.status).toBe(413);
    });

    it.each([
      ['another site (Sec-Fetch-Site)', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
      ['another origin', { origin: 'https://evil.example' }],
      ['nowhere said (no Origin, no Sec-Fetch-Site)', { origin: null }],
    ])('refuses a write from %s with 403 (CSRF), and changes nothing', async (_, headers) => {
      const [dead] = await poisonRows(c, 1);
      const response = await requeue(c, `id=${dead}`, headers);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'CROSS_SITE_WRITE' });
      expect(await rowOf(c, dead!)).toEqual({ status: OutboxStatus.Dead, attempts: 1 });
    });

    it('answers 405 with Allow to a method a path does not take, and 404 to an unknown path', async () => {
      const getRequeue = await c.api.get('/admin/outbox/requeue', AUTH);
      expect(getRequeue.status).toBe(405);
      expect(getRequeue.headers.get('allow')).toBe('POST');
      const postPage = await fetch(`${c.api.baseUrl}/admin/outbox`, { method: 'POST', headers: { ...AUTH, origin: c.api.baseUrl } });
      expect(postPage.status).toBe(405);
      expect(postPage.headers.get('allow')).toBe('GET, HEAD');
      expect((await c.api.get('/admin/outbox/no-such-page', AUTH)).status).toBe(404);
    });

    it('ignores a notice it did not write (no text from the URL reaches the page)', async () => {
      const html = await page(c, `/admin/outbox?requeued=${encodeURIComponent('<b>owned</b>')}&notice=hello`);
      expect(html).not.toContain('owned');
      expect(html).not.toContain('hello');
      expect(html).not.toContain('id="notice"');
    });

    it('is linked from Bull Board', async () => {
      const board = await c.api.get('/admin/queues', AUTH);
      expect(board.status).toBe(200);
      expect(await board.text()).toMatch(/"miscLinks":\[\{"text":"Outbox console","url":"\/admin\/outbox"\}\]/);
    });
  });

  describe('read-only (ADMIN_READ_ONLY=true)', () => {
    let c: Console;

    beforeAll(async () => {
      c = await startConsole(true);
    });
    afterEach(async () => {
      await c.api.db.query('DELETE FROM outbox');
    });
    afterAll(async () => {
      await stopConsole(c);
    });

    it('shows dead rows without any requeue form', async () => {
      const [dead] = await poisonRows(c, 1);
      const html = await page(c);
      expect(html).toContain(`<tr data-id="${dead}">`);
      expect(html).toContain('id="mode">read-only<');
      expect(html).not.toContain('<form');
    });

    it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 and Allow: GET, HEAD, and requeues nothing', async (method) => {
      const [dead] = await poisonRows(c, 1);
      const response = await checkedFetch(`${c.api.baseUrl}/admin/outbox/requeue`, {
        method,
        redirect: 'manual',
        headers: { ...AUTH, ...FORM, origin: c.api.baseUrl },
        body: `id=${dead}`,
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      expect(await rowOf(c, dead!)).toEqual({ status: OutboxStatus.Dead, attempts: 1 });
    });
  });

  describe('without admin credentials configured', () => {
    it('is not mounted at all', async () => {
      const api = await createApiHarness();
      try {
        expect((await api.get('/admin/outbox')).status).toBe(404);
        expect((await checkedFetch(`${api.baseUrl}/admin/outbox/requeue`, { method: 'POST' })).status).toBe(404);
      } finally {
        await api.close();
      }
    });
  });
});
