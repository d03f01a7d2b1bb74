import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Checks real responses against a service's own /openapi.json. Reusable for every service: fetch the
 * document once, then `check()` each response a test received.
 */
export class OpenApiChecker {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  private constructor(private readonly doc: OpenApiDoc) {
    // The document itself is not a JSON Schema (openapi, paths, ...), hence not strict.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(doc as object, DOC_ID);
  }

  static async fetch(baseUrl: string): Promise<OpenApiChecker> {
    const response = await fetch(`${baseUrl}/openapi.json`);
    if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
    return OpenApiChecker.of((await response.json()) as OpenApiDoc);
  }

  /** A document already in hand (a service's own builder, as its /openapi.json serves it). */
  static of(doc: OpenApiDoc): OpenApiChecker {
    if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.1')) throw new Error('not an OpenAPI 3.1 document');
    return new OpenApiChecker(JSON.parse(JSON.stringify(doc)) as OpenApiDoc);
  }

  get document(): OpenApiDoc {
    return this.doc;
  }

  /**
   * Throws (with ajv's errors) unless the operation documents this status and content type and the
   * body matches its schema. `path` is the OpenAPI template, e.g. `/v1/Accounts/{accountSid}/Tokens`.
   */
  check(response: { method: string; path: string; status: number; contentType: string; body: unknown }): void {
    const operation = this.doc.paths[response.path]?.[response.method.toLowerCase()];
    if (!operation) throw new Error(`${response.method} ${response.path} is not documented`);
    const documented = operation.responses[String(response.status)];
    if (!documented) throw new Error(`${response.method} ${response.path} does not document status ${response.status}`);
    const mediaType = response.contentType.split(';')[0]!.trim();
    const media = documented.content?.[mediaType];
    if (!media) {
      const known = Object.keys(documented.content ?? {}).join(', ') || 'no body';
      throw new Error(`${response.method} ${response.path} ${response.status} documents ${known}, got ${mediaType}`);
    }
    const key = `${response.method} ${response.path} ${response.status} ${mediaType}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(media.schema) as object);
      this.compiled.set(key, validate);
    }
    if (!validate(response.body)) {
      throw new Error(`${key} does not match its schema: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}`);
    }
  }

  /** Throws unless the `webhooks` section documents this event type and the delivered body matches its schema. */
  checkWebhook(type: string, body: unknown): void {
    const schema = this.doc.webhooks?.[type]?.post?.requestBody?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`webhook ${type} is not documented`);
    const key = `webhook ${type}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema) as object);
      this.compiled.set(key, validate);
    }
    if (!validate(body)) throw new Error(`${key} does not match its schema: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}`);
  }
}

const DOC_ID = 'openapi.json';

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components?: unknown;
  webhooks?: Record<string, { post?: { requestBody?: { content?: Record<string, { schema: unknown }> } } }>;
}

/** `#/components/...` refs point into the document; once a schema is compiled on its own they must name it. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/components/') ? `${DOC_ID}${value}` : rebase(value),
    ]),
  );
}
