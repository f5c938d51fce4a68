import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOGIN_LIMITS } from '../../apps/api/src/auth/login-throttle.js';
import type { LoginLimits } from '../../apps/api/src/http/rate-limit.js';
import { canonicalJson } from '../../apps/api/src/openapi/index.js';
import { createApiHarness, type ApiHarness } from '../support/api-harness.js';
import { ContractViolation, ResponseContract, type ObservedResponse, type OpenApiDocument } from '../support/contract/index.js';

const COMMITTED = readFileSync('openapi.json', 'utf8');
const committedDocument = () => JSON.parse(COMMITTED) as OpenApiDocument;

/** Two wrong passwords from one address and the third attempt is refused. */
const LIMITS: LoginLimits = {
  perEmailAndAddress: { points: 2, durationSeconds: 60 },
  perAddress: { points: 100, durationSeconds: 60 },
  perEmail: { points: 100, durationSeconds: 60, slowdownMs: 0 },
};

/** A raw answer of the API, not checked on the way (the tests below check it against documents of their own). */
async function observe(api: ApiHarness, method: string, path: string, body?: unknown): Promise<ObservedResponse> {
  const response = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { method, url: path, status: response.status, headers: response.headers, body: await response.text() };
}

describe('The REST contract (openapi.json)', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await createApiHarness({ overrides: [{ provide: LOGIN_LIMITS, useValue: LIMITS }] });
  });
  afterAll(async () => {
    await api.close();
  });

  it('is the document the running API serves at /docs-json', async () => {
    const served = canonicalJson(await (await api.get('/docs-json')).json());
    if (served !== COMMITTED) {
      const [ours, theirs] = [served.split('\n'), COMMITTED.split('\n')];
      const line = ours.findIndex((text, i) => text !== theirs[i]);
      throw new Error(
        `openapi.json differs from what the API serves at /docs-json (line ${line + 1}: served ${JSON.stringify(ours[line])}, ` +
          `committed ${JSON.stringify(theirs[line])}): run \`npm run openapi\` and commit openapi.json`,
      );
    }
  });

  it('generated the committed client types (test/support/api-client/schema.d.ts)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'herald-openapi-')), 'schema.d.ts');
    const run = spawnSync('node_modules/.bin/openapi-typescript', ['openapi.json', '--output', out], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    if (readFileSync(out, 'utf8') !== readFileSync('test/support/api-client/schema.d.ts', 'utf8')) {
      throw new Error('test/support/api-client/schema.d.ts is not generated from openapi.json: run `npm run openapi` and commit it');
    }
  });

  describe('its check of answers (the test of the contract test)', () => {
    const wrong = { email: 'nobody@example.com', password: 'not the password at all' };
    let tooMany: ObservedResponse;

    beforeAll(async () => {
      for (let i = 0; i < LIMITS.perEmailAndAddress.points; i++)
        expect((await observe(api, 'POST', '/auth/login', wrong)).status).toBe(401);
      tooMany = await observe(api, 'POST', '/auth/login', wrong);
      expect(tooMany.status).toBe(429);
    });

    it('accepts a real 429 of POST /auth/login, which the document lists', () => {
      expect(() => new ResponseContract(committedDocument()).check(tooMany)).not.toThrow();
    });

    it('rejects the same answer, naming the route, once 429 is taken out of the document', () => {
      const document = committedDocument();
      delete document.paths['/auth/login']!.post!.responses['429'];
      const check = () => new ResponseContract(document).check(tooMany);
      expect(check).toThrow(ContractViolation);
      expect(check).toThrow(/POST \/auth\/login answered 429, which the document does not list for this route/);
    });

    it('rejects a body of another shape than the schema', () => {
      const document = committedDocument();
      const problem = document.components!.schemas!.Problem as { required: string[] };
      problem.required = [...problem.required, 'retryAt'];
      expect(() => new ResponseContract(document).check(tooMany)).toThrow(
        /POST \/auth\/login answered 429 with a body that does not match its schema.*retryAt/s,
      );
    });

    it('rejects a missing required header and another content type', () => {
      const contract = new ResponseContract(committedDocument());
      const headers = new Headers(tooMany.headers);
      headers.delete('retry-after');
      expect(() => contract.check({ ...tooMany, headers })).toThrow(
        /POST \/auth\/login answered 429 without the required header Retry-After/,
      );
      headers.set('retry-after', '1');
      headers.set('content-type', 'application/json');
      expect(() => contract.check({ ...tooMany, headers })).toThrow(/POST \/auth\/login answered 429 as 'application\/json'/);
    });

    it('rejects a route the document does not have, unless it is one of the undocumented pages and tools', async () => {
      const contract = new ResponseContract(committedDocument());
      const document = committedDocument();
      delete document.paths['/health/live'];
      const live = await observe(api, 'GET', '/health/live');
      expect(() => contract.check(live)).not.toThrow();
      expect(() => new ResponseContract(document).check(live)).toThrow(/GET \/health\/live is not in the document, yet answered 200/);
      expect(() => contract.check(live)).not.toThrow();
      const metrics = await observe(api, 'GET', '/metrics');
      expect(() => contract.check(metrics)).not.toThrow();
    });
  });
});
