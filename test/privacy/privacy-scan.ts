import type { Redis } from 'ioredis';
import type { AttributeValue, ReceivedSpan } from '../support/otlp-receiver.js';
import { keysWithPrefix } from '../support/test-redis.js';

/**
 * The privacy tier's scanner: every value an account story left in telemetry
 * and Redis, searched for the story's secrets and addresses. Collectors turn a
 * surface (spans, log lines, Redis, metrics, pages) into ScannedValues, each
 * with where it was found; `scan` looks for every secret in every value and
 * reports hits by place and kind, never the secret itself.
 */

export type SecretKind =
  'token' | 'password' | 'password hash' | 'token hash' | 'jwt' | 'jwt secret' | 'admin credential' | 'email address';

export interface Secret {
  readonly kind: SecretKind;
  /** What it is, for the report ("password set by the reset"): never the value. */
  readonly label: string;
  readonly value: string;
}

export type Surface = 'span' | 'log' | 'redis' | 'metric' | 'admin page';

/** One value of one surface, and where it is (a span's attribute, a log line's field, a Redis key's field …). */
export interface ScannedValue {
  readonly surface: Surface;
  readonly where: string;
  readonly text: string;
}

export interface Hit {
  readonly surface: Surface;
  readonly where: string;
  readonly kind: SecretKind;
  readonly label: string;
  /** The secret's first characters and length: enough to tell which, never the secret. */
  readonly secret: string;
}

/** Shorter values would match by chance: every secret of a story is longer. */
const SHORTEST_SECRET = 8;

/** The secrets of one story, each kept once. */
export class SecretRegistry {
  private readonly byValue = new Map<string, Secret>();

  add(kind: SecretKind, label: string, value: string | undefined | null): void {
    if (!value) throw new Error(`the ${kind} "${label}" is empty: the story did not get it`);
    if (value.length < SHORTEST_SECRET) throw new Error(`the ${kind} "${label}" is shorter than ${SHORTEST_SECRET} characters`);
    if (!this.byValue.has(value)) this.byValue.set(value, { kind, label, value });
  }

  get all(): Secret[] {
    return [...this.byValue.values()];
  }

  count(kind: SecretKind): number {
    return this.all.filter((secret) => secret.kind === kind).length;
  }
}

/** The forms a secret takes in text: as is, URL-encoded, JSON-escaped; an address in any case. */
function formsOf(secret: Secret): { text: string; caseless: boolean }[] {
  const caseless = secret.kind === 'email address';
  const value = caseless ? secret.value.toLowerCase() : secret.value;
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  return [...forms].map((text) => ({ text, caseless }));
}

export function preview(secret: Secret): string {
  return `${secret.value.slice(0, 3)}… (${secret.value.length} characters)`;
}

/**
 * Every secret in every value: the hits, and how many values were looked at.
 * A hit's `where` is itself cleaned of every secret (a Redis key or a log
 * field may be named after one), so a report never repeats a secret in full.
 */
export function scan(
  values: Iterable<ScannedValue>,
  secrets: readonly Secret[],
): { scanned: number; bySurface: Record<string, number>; hits: Hit[] } {
  const forms = secrets.map((secret) => ({ secret, forms: formsOf(secret) }));
  const clean = (where: string) => {
    let text = where;
    for (const { secret, forms: texts } of forms) {
      for (const form of texts) {
        const at = (form.caseless ? text.toLowerCase() : text).indexOf(form.text);
        if (at >= 0) text = `${text.slice(0, at)}[${secret.kind}]${text.slice(at + form.text.length)}`;
      }
    }
    return text;
  };
  const hits: Hit[] = [];
  const bySurface: Record<string, number> = {};
  let scanned = 0;
  for (const value of values) {
    scanned++;
    bySurface[value.surface] = (bySurface[value.surface] ?? 0) + 1;
    const lower = value.text.toLowerCase();
    for (const { secret, forms: texts } of forms) {
      if (texts.some((form) => (form.caseless ? lower : value.text).includes(form.text))) {
        hits.push({ surface: value.surface, where: clean(value.where), kind: secret.kind, label: secret.label, secret: preview(secret) });
      }
    }
  }
  return { scanned, bySurface, hits };
}

/** The hits as lines for a failure message. */
export function describeHits(hits: readonly Hit[]): string {
  return hits.map((hit) => `  ${hit.surface}: ${hit.where} holds the ${hit.kind} "${hit.label}" (${hit.secret})`).join('\n');
}

const textOf = (value: AttributeValue): string => (Array.isArray(value) ? value.map(String).join('\u0000') : String(value));

function* attributeValues(where: string, attributes: Readonly<Record<string, AttributeValue>>): Generator<ScannedValue> {
  for (const [key, value] of Object.entries(attributes)) {
    yield { surface: 'span', where: `${where} attribute ${key} (key)`, text: key };
    yield { surface: 'span', where: `${where} attribute ${key}`, text: textOf(value) };
  }
}

/** Every exported span: name, attributes, events, link attributes, status; each service's resource once. */
export function* spanValues(spans: readonly ReceivedSpan[]): Generator<ScannedValue> {
  const resources = new Set<string>();
  for (const span of spans) {
    const where = `${span.service} span ${span.spanId} "${span.name.slice(0, 20)}"`;
    yield { surface: 'span', where: `${where} name`, text: span.name };
    yield* attributeValues(where, span.attributes);
    for (const [i, event] of span.events.entries()) {
      yield { surface: 'span', where: `${where} event ${i} name`, text: event.name };
      yield* attributeValues(`${where} event ${i} (${event.name})`, event.attributes);
    }
    for (const [i, link] of span.links.entries()) yield* attributeValues(`${where} link ${i}`, link.attributes);
    yield { surface: 'span', where: `${where} status message`, text: span.status.message };
    const resource = JSON.stringify(span.resource);
    if (!resources.has(resource)) {
      resources.add(resource);
      yield* attributeValues(`${span.service} resource`, span.resource);
    }
  }
}

function* jsonLeaves(value: unknown, path: string): Generator<{ path: string; text: string }> {
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      yield { path: `${path}.${key} (key)`, text: key };
      yield* jsonLeaves(inner, `${path}.${key}`);
    }
  } else {
    yield { path, text: String(value) };
  }
}

/** Every line a process wrote: each field of a JSON line (and its name), or the whole line when it is not JSON. */
export function* logValues(source: string, lines: readonly string[]): Generator<ScannedValue> {
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed !== null && typeof parsed === 'object') {
      for (const leaf of jsonLeaves(parsed, '$')) yield { surface: 'log', where: `${source} line ${i + 1} ${leaf.path}`, text: leaf.text };
    } else {
      yield { surface: 'log', where: `${source} line ${i + 1}`, text: line };
    }
  }
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every label of every sample of a Prometheus text exposition (label values unescaped). */
export function* metricValues(source: string, exposition: string): Generator<ScannedValue> {
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = SAMPLE.exec(line);
    if (!sample) {
      yield { surface: 'metric', where: `${source} unparsed line`, text: line };
      continue;
    }
    for (const [, name, raw] of (sample[2] ?? '').matchAll(LABEL)) {
      const value = raw!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      yield { surface: 'metric', where: `${source} ${sample[1]}{${name}}`, text: value };
    }
  }
}

/** Redis types the collector reads; a key of any other type fails the scan (it would go unread). */
export const REDIS_TYPES = ['string', 'hash', 'list', 'set', 'zset', 'stream'] as const;

/** Every key under a prefix and everything in it, whatever its type: names, fields, members, items, stream entries. */
export async function redisValues(redis: Redis, prefix: string): Promise<ScannedValue[]> {
  const values: ScannedValue[] = [];
  const add = (where: string, text: string) => values.push({ surface: 'redis', where, text });
  for (const key of (await keysWithPrefix(redis, prefix)).sort()) {
    add(`key ${key} (name)`, key);
    const type = await redis.type(key);
    switch (type) {
      case 'none':
        break; // expired meanwhile
      case 'string':
        add(`key ${key}`, (await redis.get(key)) ?? '');
        break;
      case 'hash':
        for (const [field, value] of Object.entries(await redis.hgetall(key))) {
          add(`key ${key} field ${field} (name)`, field);
          add(`key ${key} field ${field}`, value);
        }
        break;
      case 'list':
        for (const [i, item] of (await redis.lrange(key, 0, -1)).entries()) add(`key ${key} item ${i}`, item);
        break;
      case 'set':
        for (const member of await redis.smembers(key)) add(`key ${key} member`, member);
        break;
      case 'zset':
        for (const member of await redis.zrange(key, 0, -1)) add(`key ${key} member`, member);
        break;
      case 'stream':
        for (const [id, fields] of await redis.xrange(key, '-', '+')) {
          for (let i = 0; i + 1 < fields.length; i += 2) {
            add(`key ${key} entry ${id} field ${fields[i]} (name)`, fields[i]!);
            add(`key ${key} entry ${id} field ${fields[i]}`, fields[i + 1]!);
          }
        }
        break;
      default:
        throw new Error(`key ${key} is a Redis ${type}, which the privacy scan cannot read: teach redisValues that type`);
    }
  }
  return values;
}
