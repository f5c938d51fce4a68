import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { isUndocumentedPath } from '../../../apps/api/src/openapi/index.js';

// ajv-formats is CommonJS: under ESM its default import is module.exports, whose `default` is the plugin.
const addFormats = ((formatsModule as unknown as { default?: unknown }).default ?? formatsModule) as (ajv: Ajv) => Ajv;

/** The parts of an OpenAPI 3.0 document the contract reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  components?: { headers?: Record<string, HeaderObject>; schemas?: Record<string, unknown> };
}
interface ResponseObject {
  content?: Record<string, { schema?: unknown }>;
  headers?: Record<string, HeaderObject | { $ref: string }>;
}
interface HeaderObject {
  required?: boolean;
}

/** One answer of the API as a test received it. */
export interface ObservedResponse {
  readonly method: string;
  /** A path or a full URL; the query is ignored. */
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  /** The body as text; undefined when it could not be read (the connection died), so only status and headers are checked. */
  readonly body: string | undefined;
}

export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

/**
 * What the HTTP server answers for a path or method that is no route: 404 (Nest's NotFound), or, as the
 * body parser runs before routing, its refusals (400 MALFORMED_JSON, 413, 415). All must still be a Problem.
 */
const NO_ROUTE_STATUSES = new Set([400, 404, 405, 413, 415]);

// OpenAPI formats that say how to show a string, not what it may hold.
const ANNOTATION_FORMATS = ['password', 'int32', 'int64', 'float', 'double', 'byte', 'binary'];

const DOCUMENT_ID = 'openapi.json';
const pointer = (...parts: string[]) => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Checks answers of the API against its OpenAPI document: the route and
 * method are documented (or the path is one of the undocumented pages and
 * tools), the status is documented for them, the content type is one the
 * document names, the body matches that media type's schema, and the
 * required headers are there. Every violation names the route.
 */
export class ResponseContract {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: { template: string; pattern: RegExp }[];

  constructor(private readonly document: OpenApiDocument) {
    // strict off: OpenAPI schemas carry keywords JSON Schema does not know (example, nullable is known to Ajv).
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    for (const format of ANNOTATION_FORMATS) this.ajv.addFormat(format, true);
    this.ajv.addSchema({ ...structuredClone(document), $id: DOCUMENT_ID });
    this.routes = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /** The contract of the committed openapi.json. */
  static committed(): ResponseContract {
    return new ResponseContract(JSON.parse(readFileSync(resolve('openapi.json'), 'utf8')) as OpenApiDocument);
  }

  /** Throws a ContractViolation naming the route when `response` breaks the document. */
  check(response: ObservedResponse): void {
    const path = new URL(response.url, 'http://api.invalid').pathname;
    if (isUndocumentedPath(path)) return;
    const method = response.method.toLowerCase();
    const route = this.routes.find(({ pattern }) => pattern.test(path));
    const operation = route ? this.document.paths[route.template]?.[method] : undefined;
    const name = `${method.toUpperCase()} ${route?.template ?? path}`;
    const fail = (message: string): never => {
      throw new ContractViolation(`API contract (openapi.json): ${name} ${message}`);
    };

    if (!operation) {
      if (!NO_ROUTE_STATUSES.has(response.status)) fail(`is not in the document, yet answered ${response.status}`);
      // Not a route: the server's generic answer, which must still be a Problem.
      this.checkBody(response, 'application/problem+json', `${DOCUMENT_ID}#/components/schemas/Problem`, fail);
      return;
    }
    const documented = operation.responses[String(response.status)] ?? operation.responses[`${String(response.status)[0]}XX`];
    if (!documented) {
      fail(
        `answered ${response.status}, which the document does not list for this route (documented: ${Object.keys(operation.responses).join(', ')}). ` +
          'Document it (e.g. @ApiProblems on the handler), then run `npm run openapi`.',
      );
    }

    for (const [header, definition] of Object.entries(documented!.headers ?? {})) {
      const resolved = '$ref' in definition ? this.resolveHeader(definition.$ref) : definition;
      if (resolved?.required && !response.headers.has(header)) fail(`answered ${response.status} without the required header ${header}`);
    }

    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const content = documented!.content ?? {};
    if (Object.keys(content).length === 0) {
      if (response.body) fail(`answered ${response.status} with a body (${contentType}), but the document gives this status none`);
      return;
    }
    if (!(contentType in content)) {
      fail(`answered ${response.status} as '${contentType}', but the document has ${Object.keys(content).join(', ')} for it`);
    }
    const statusKey =
      documented === operation.responses[String(response.status)] ? String(response.status) : `${String(response.status)[0]}XX`;
    const schemaRef = `${DOCUMENT_ID}#/${pointer('paths', route!.template, method, 'responses', statusKey, 'content', contentType, 'schema')}`;
    if (content[contentType]?.schema) this.checkBody(response, contentType, schemaRef, fail);
  }

  private checkBody(response: ObservedResponse, expectedType: string, schemaRef: string, fail: (message: string) => never): void {
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== expectedType) fail(`answered ${response.status} as '${contentType}', expected '${expectedType}'`);
    if (response.body === undefined) return;
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      fail(`answered ${response.status} with a body that is not JSON: ${response.body.slice(0, 200)}`);
    }
    const validate = this.validator(schemaRef);
    if (!validate(body)) {
      fail(
        `answered ${response.status} with a body that does not match its schema: ${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}\n` +
          `body: ${response.body.slice(0, 500)}`,
      );
    }
  }

  private validator(schemaRef: string): ValidateFunction {
    let validate = this.validators.get(schemaRef);
    if (!validate) {
      validate = this.ajv.compile({ $ref: schemaRef });
      this.validators.set(schemaRef, validate);
    }
    return validate;
  }

  private resolveHeader(ref: string): HeaderObject | undefined {
    const name = /^#\/components\/headers\/(.+)$/.exec(ref)?.[1];
    return name ? this.document.components?.headers?.[name] : undefined;
  }
}
