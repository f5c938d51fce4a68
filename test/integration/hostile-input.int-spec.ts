import fc from 'fast-check';
import { createApiHarness, type ApiHarness } from '../support/api-harness.js';
import { checkedFetch } from '../support/contract/index.js';

const ENDPOINTS = ['/users', '/users/verify-email', '/users/verification-email', '/auth/login'] as const;
const RUNS = 300; // per property; with four endpoints and three properties: thousands of requests

describe('Hostile input (property-based, in process, real Postgres + Redis)', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await createApiHarness({ env: { RATE_LIMIT_ENABLED: 'false', CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(async () => {
    await api.close();
  });

  /** Every answer is < 500, and every error is problem+json. */
  const expectClientError = async (response: Response) => {
    expect(response.status).toBeLessThan(500);
    if (response.status >= 400) {
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await response.json()) as { code?: unknown };
      expect(typeof body.code).toBe('string');
    } else {
      await response.arrayBuffer();
    }
  };

  it('never answers 5xx to any JSON value as a body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), fc.jsonValue({ maxDepth: 3 }), async (path, body) => {
        await expectClientError(await api.post(path, JSON.stringify(body)));
      }),
      { numRuns: RUNS },
    );
  });

  it('never answers 5xx to near-valid bodies with hostile field values', async () => {
    const hostileString = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.constantFrom(
        '',
        ' ',
        '\u0000',
        '../../etc/passwd',
        "' OR 1=1 --",
        '<script>alert(1)</script>',
        'a'.repeat(5000),
        '%00',
        '{{7*7}}',
      ),
    );
    const field = fc.oneof(
      hostileString,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.object({ maxDepth: 1 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        fc.record({ email: field, password: field, token: field, displayName: field }, { requiredKeys: [] }),
        async (path, body) => {
          await expectClientError(await api.post(path, body));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('never answers 5xx to raw bytes, odd content types or odd query strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS, '/users/me', '/health/ready', '/nope'),
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.constantFrom(
          'application/json',
          'application/json; charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
          '',
        ),
        fc.string({ maxLength: 60 }),
        async (path, raw, contentType, query) => {
          const response = await checkedFetch(`${api.baseUrl}${path}?${encodeURIComponent(query)}=${encodeURIComponent(query)}`, {
            method: 'POST',
            headers: contentType ? { 'content-type': contentType } : {},
            body: raw,
          });
          await expectClientError(response);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses a body over the limit and garbage authorization headers without a 5xx', async () => {
    await expectClientError(await api.post('/users', 'x'.repeat(2_000_000)));
    for (const authorization of ['Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer ' + 'a'.repeat(10_000), 'Basic %%%', '\t']) {
      const response = await api.get('/users/me', { authorization });
      expect(response.status).toBe(401);
    }
  });

  it('sends security headers and CORS only for configured origins', async () => {
    const allowed = await api.get('/health/live', { origin: 'https://app.example.com' });
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(allowed.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(allowed.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(allowed.headers.get('x-powered-by')).toBeNull();
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await api.get('/health/live', { origin: 'https://evil.example.com' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
