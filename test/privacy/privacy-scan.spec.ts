import type { ReceivedSpan } from '../support/otlp-receiver.js';
import { describeHits, logValues, metricValues, scan, SecretRegistry, spanValues, type ScannedValue } from './privacy-scan.js';

const PASSWORD = 'correct horse battery staple';
const TOKEN = 'Qm9vdHN0cmFwU2VsZWN0b3I.dmVyaWZpZXItMTIzNDU2Nzg5MC1hYmNkZWZnaGlqa2xt';
const ADDRESS = 'Ada.Lovelace@example.com';

function secrets(): SecretRegistry {
  const registry = new SecretRegistry();
  registry.add('password', 'password at registration', PASSWORD);
  registry.add('token', 'verification token', TOKEN);
  registry.add('email address', 'the account', ADDRESS);
  return registry;
}

function span(overrides: Partial<ReceivedSpan>): ReceivedSpan {
  return {
    service: 'herald-api',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '',
    name: 'GET',
    kind: 2,
    attributes: { 'http.route': '/verify-email' },
    links: [],
    events: [],
    status: { code: 0, message: '' },
    resource: { 'service.name': 'herald-api' },
    ...overrides,
  };
}

describe('the privacy scan', () => {
  it('finds nothing in clean values, and counts every value it looked at', () => {
    const values: ScannedValue[] = [...spanValues([span({})]), ...logValues('api', ['{"msg":"request completed","req":{"url":"/users"}}'])];
    const result = scan(values, secrets().all);
    expect(result.hits).toEqual([]);
    // span: name, 1 attribute (key + value), status, resource (key + value); log: msg (key + value), req (key), req.url (key + value)
    expect(result.scanned).toBe(values.length);
    expect(result.bySurface).toEqual({ span: 6, log: 5 });
  });

  it('finds a secret in a span attribute, an event, a link, the status and the name', () => {
    const leaky = span({
      name: `GET /verify-email?token=${TOKEN}`,
      attributes: { 'url.query': `token=${encodeURIComponent(TOKEN)}` },
      events: [{ name: 'exception', attributes: { 'exception.message': `refused <${ADDRESS.toLowerCase()}>` } }],
      links: [{ traceId: 'a', spanId: 'b', attributes: { note: `pw ${PASSWORD}` } }],
      status: { code: 2, message: `550 5.1.1 <${ADDRESS.toUpperCase()}>` },
    });
    const { hits } = scan(spanValues([leaky]), secrets().all);
    expect(hits.map((hit) => `${hit.kind} @ ${hit.where.replace(/^herald-api span \w+ "[^"]*" /, '')}`)).toEqual([
      'token @ name',
      'token @ attribute url.query',
      'email address @ event 0 (exception) attribute exception.message',
      'password @ link 0 attribute note',
      'email address @ status message',
    ]);
  });

  it('finds a secret in a field of a JSON log line, in a plain line, and in a metric label', () => {
    const values = [
      ...logValues('worker', [
        '{"msg":"job failed","err":{"message":"x","stack":"at y"}}',
        `{"msg":"x","err":{"message":"to ${ADDRESS}"}}`,
      ]),
      ...logValues('cli', [`replayed for ${ADDRESS}`]),
      ...metricValues('api', `# HELP x y\nherald_x_total{route="/verify-email",token="${TOKEN}"} 1\nherald_y 2\n`),
    ];
    const { hits } = scan(values, secrets().all);
    expect(hits.map((hit) => `${hit.surface} ${hit.where} ${hit.kind}`)).toEqual([
      'log worker line 2 $.err.message email address',
      'log cli line 1 email address',
      'metric api herald_x_total{token} token',
    ]);
  });

  it('reports where and which kind, never the secret itself', () => {
    const { hits } = scan(logValues('api', [`{"password":"${PASSWORD}","token":"${TOKEN}"}`]), secrets().all);
    const report = describeHits(hits);
    expect(report).toContain('api line 1 $.password holds the password "password at registration" (cor… (28 characters))');
    for (const secret of [PASSWORD, TOKEN, TOKEN.split('.')[1]!]) expect(report).not.toContain(secret);
  });

  it('cleans the place of a hit of secrets too (a key or a field may be named after one)', () => {
    const { hits } = scan([{ surface: 'redis', where: `key {t1}:rl:${ADDRESS}`, text: ADDRESS }], secrets().all);
    expect(hits).toEqual([
      {
        surface: 'redis',
        where: 'key {t1}:rl:[email address]',
        kind: 'email address',
        label: 'the account',
        secret: 'Ada… (24 characters)',
      },
    ]);
  });

  it('refuses a secret the story did not get, or one too short to search for', () => {
    const registry = new SecretRegistry();
    expect(() => registry.add('token', 'reset token', undefined)).toThrow(/empty/);
    expect(() => registry.add('password', 'short', 'abc')).toThrow(/shorter than 8/);
  });
});
