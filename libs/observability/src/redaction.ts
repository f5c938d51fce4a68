/**
 * What telemetry (spans, error logs, job failure reasons) may say about a
 * request or a recipient. One set of rules, used by the span exporter, the
 * HTTP instrumentation's hook, the log serializer of errors and the mailer:
 *
 * - A URL keeps its scheme, host and path. Its query keeps the NAMES of its
 *   parameters but only the values of parameters on an allow-list (none by
 *   default): `?token=abc` becomes `?token=REDACTED`. Userinfo
 *   (`user:password@`) and the fragment are dropped. A path segment that looks
 *   like a secret (long, mixed case and digits) becomes `REDACTED` too.
 * - An email address is masked: its first character, `***`, and its domain
 *   (`ada@example.com` → `a***@example.com`). The domain stays because it is
 *   what an operator needs to see a typo (`gmial.com`) or a refusing provider.
 * - Shapes no telemetry should ever carry are replaced wherever they appear:
 *   JWTs, Argon2 and bcrypt hashes, `Bearer`/`Basic` credentials.
 *
 * URLs are handled by allow-list (a new query parameter is hidden until
 * someone decides otherwise); the shapes are defence in depth for free text
 * such as exception messages and stacks.
 */

/** Query parameters whose values telemetry may keep. Empty: every value is redacted. Add only values that are never secret. */
export const QUERY_PARAMETERS_SHOWN: readonly string[] = [];

export const REDACTED = 'REDACTED';

/** Attributes that hold a URL or a request target (old and current OpenTelemetry semantic conventions). */
const URL_ATTRIBUTES = new Set(['url.full', 'url.original', 'http.url', 'http.target', 'url.path', 'http.request.url']);
/** Attributes that hold a bare query string (without `?`). */
const QUERY_ATTRIBUTES = new Set(['url.query']);

const PARAMETER_NAME = /^[A-Za-z0-9_.\-[\]]{1,64}$/;
/** A path segment that looks like a token rather than a name or an id: long, with upper case, lower case and digits. */
const SECRET_LOOKING_SEGMENT = /^(?=[A-Za-z0-9_~.%-]*[a-z])(?=[A-Za-z0-9_~.%-]*[A-Z])(?=[A-Za-z0-9_~.%-]*\d)[A-Za-z0-9_~.%-]{22,}$/;

// An address as it appears in text: the local part stops at characters that delimit it in URLs, headers and logs.
const EMAIL = /[^\s@<>"(),:;[\]=&?/\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/g;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
// The PHC string of an Argon2 hash ($argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>), and a bcrypt hash.
const PASSWORD_HASH =
  /\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+(?:,[^$\s]*)?(?:\$[A-Za-z0-9+/=]+){0,2}|\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}/g;
// Case-sensitive, as the schemes are written in headers: prose ("basic information") is left alone.
const AUTHORIZATION = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
const URL_WITH_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const URL_FRAGMENT = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s#"'<>]*)#[^\s"'<>]*/gi;
const QUERY_IN_TEXT = /([?&])([^=&\s#"'<>]+)=([^&\s#"'<>]*)/g;

/**
 * The one masking rule for email addresses: first character, `***`, domain.
 * Anything without an `@` is masked whole (`***`).
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***@${address.slice(at + 1)}`;
}

/** Every email address in a text, masked (see maskEmail). */
export function maskEmailsIn(text: string): string {
  return text.replace(EMAIL, (address) => maskEmail(address));
}

/** A query string (without `?`) with every value not on the allow-list replaced by REDACTED. */
export function redactQuery(query: string, shown: readonly string[] = QUERY_PARAMETERS_SHOWN): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((part) => {
      const equals = part.indexOf('=');
      const rawName = equals < 0 ? part : part.slice(0, equals);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // a malformed escape: judged as written
      }
      if (equals >= 0 && shown.includes(name)) return part;
      if (!PARAMETER_NAME.test(name)) return REDACTED;
      return equals < 0 ? name : `${rawName}=${REDACTED}`;
    })
    .join('&');
}

function redactPath(path: string): string {
  return path
    .split('/')
    .map((segment) => (SECRET_LOOKING_SEGMENT.test(segment) ? REDACTED : segment))
    .join('/');
}

/**
 * A URL or request target (`/path?query`) as telemetry may keep it: no
 * userinfo, no fragment, query values redacted (see redactQuery), secret-looking
 * path segments redacted. Works on the text, so the path is otherwise kept as sent.
 */
export function redactUrl(value: string, shown: readonly string[] = QUERY_PARAMETERS_SHOWN): string {
  let rest = value;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  let origin = '';
  const scheme = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(rest);
  if (scheme) {
    const authority = scheme[2]!;
    origin = scheme[1]! + authority.slice(authority.lastIndexOf('@') + 1);
    rest = rest.slice(scheme[0].length);
  }
  const question = rest.indexOf('?');
  const path = question < 0 ? rest : rest.slice(0, question);
  const query = question < 0 ? undefined : rest.slice(question + 1);
  return `${origin}${redactPath(path)}${query === undefined ? '' : `?${redactQuery(query, shown)}`}`;
}

/**
 * Free text (an exception message or stack, a span status, a span name) as
 * telemetry may keep it: URL credentials, fragments and query values,
 * addresses, JWTs, password hashes and Authorization credentials replaced.
 */
export function redactText(text: string, shown: readonly string[] = QUERY_PARAMETERS_SHOWN): string {
  if (text === '') return text;
  return maskEmailsIn(
    text
      .replace(URL_WITH_USERINFO, '$1')
      .replace(URL_FRAGMENT, '$1')
      .replace(QUERY_IN_TEXT, (whole, separator: string, name: string) =>
        shown.includes(name) ? whole : `${separator}${PARAMETER_NAME.test(name) ? name : REDACTED}=${REDACTED}`,
      )
      .replace(AUTHORIZATION, '$1 [redacted]')
      .replace(JWT, '[jwt redacted]')
      .replace(PASSWORD_HASH, '[hash redacted]'),
  );
}

/** One attribute value as telemetry may keep it, by what its key says it holds. */
export function redactAttribute<V>(key: string, value: V, shown: readonly string[] = QUERY_PARAMETERS_SHOWN): V {
  const redact = (text: string) =>
    URL_ATTRIBUTES.has(key)
      ? redactText(redactUrl(text, shown), shown)
      : QUERY_ATTRIBUTES.has(key)
        ? redactText(redactQuery(text, shown), shown)
        : redactText(text, shown);
  if (typeof value === 'string') return redact(value) as V;
  if (Array.isArray(value)) return value.map((item: unknown) => (typeof item === 'string' ? redact(item) : item)) as V;
  return value;
}
