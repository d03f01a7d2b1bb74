import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import {
  buildOpenApi,
  federatedAuthRoutes,
  operationalRoutes,
  orchestratorRoutes,
  scopedAuthRoutes,
  type OpenApiDocument,
  type RouteSpec,
} from '../src';

const HEX32 = '0123456789abcdef0123456789abcdef';
const IDENTITY = '3b241101-e2bb-4255-8caf-4136c566a962';
const allRoutes = [...operationalRoutes, ...scopedAuthRoutes, ...federatedAuthRoutes, ...orchestratorRoutes];
const doc = buildOpenApi({ title: 'webchat', version: '1.0.0' }, allRoutes);

type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; required: boolean; schema: object }[];
  requestBody?: { required: boolean; content: Record<string, { schema: object }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>;
  security: Record<string, string[]>[];
};
const operation = (path: string, method: string) => (doc.paths[path] as Record<string, Operation> | undefined)?.[method];
const openApiPath = (route: RouteSpec) => route.path.replace(/:([A-Za-z]+)/g, '{$1}');

/** Ajv 2020-12 in strict mode, able to follow `#/components/...` references of the document. */
function compiler(document: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword('components');
  return (schema: object) => ajv.compile({ ...schema, components: document.components });
}
const compile = compiler(doc);

describe('buildOpenApi', () => {
  it('is an OpenAPI 3.1 document with info, paths and components', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'webchat', version: '1.0.0' });
    expect(doc.components.schemas.Problem).toMatchObject({ type: 'object', required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'requestId']) });
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['agentKey', 'guestToken', 'serviceToken']);
  });

  it('has every route of every table, with {param} paths and unique operation ids', () => {
    for (const route of allRoutes) {
      const op = operation(openApiPath(route), route.method);
      expect(op).toMatchObject({ operationId: route.operationId });
    }
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/Accounts/{accountSid}/Tokens', '/v2/WebChannels/{conversationSid}/Messages']));
    expect(Object.keys(doc.paths).filter((p) => p.includes(':'))).toEqual([]);
    const ids = allRoutes.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares every {param} of a path as a required path parameter with a schema', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(methods as Record<string, Operation>)) {
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name).sort()).toEqual([...names].sort());
        for (const p of declared) expect(p).toMatchObject({ required: true, schema: { type: 'string', pattern: expect.any(String) } });
      }
    }
  });

  it('documents responses with descriptions, problems by reference, and the right security', () => {
    for (const route of allRoutes) {
      const op = operation(openApiPath(route), route.method)!;
      for (const response of Object.values(op.responses)) expect(response.description.length).toBeGreaterThan(0);
      for (const status of ['400', '500', ...(route.problems ?? []).map(String)]) {
        expect(op.responses[status]?.content?.['application/problem+json']?.schema).toEqual({ $ref: '#/components/schemas/Problem' });
      }
      const scheme = typeof route.callers === 'object' ? 'serviceToken' : { guest: 'guestToken', agent: 'agentKey', public: undefined }[route.callers];
      expect(op.security).toEqual(scheme ? [{ [scheme]: [] }] : []);
    }
    expect(Object.keys(operation('/v2/Webchat/Token', 'post')!.requestBody!.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
  });

  it('every schema in it compiles with ajv (JSON Schema 2020-12, strict, with formats)', () => {
    let count = 0;
    for (const methods of Object.values(doc.paths)) {
      for (const op of Object.values(methods as Record<string, Operation>)) {
        for (const p of op.parameters ?? []) (compile(p.schema), (count += 1));
        for (const media of Object.values(op.requestBody?.content ?? {})) (compile(media.schema), (count += 1));
        for (const response of Object.values(op.responses)) for (const media of Object.values(response.content ?? {})) (compile(media.schema), (count += 1));
      }
    }
    expect(count).toBeGreaterThan(30);
  });

  it('a real-looking response validates against its schema and a wrong one does not', () => {
    const schemaOf = (path: string, method: string, status: string, type = 'application/json') => operation(path, method)!.responses[status]!.content![type]!.schema;
    const token = compile(schemaOf('/v1/ScopedAuthTokens/generate/internal', 'post', '200'));
    const good = { token: 'eyJ.x.y', identity: IDENTITY, expiresAt: '2030-01-01T00:00:00.000Z' };
    expect(token(good)).toBe(true);
    expect(token({ ...good, identity: 'guest' })).toBe(false);
    expect(token({ ...good, expiresAt: 'tomorrow' })).toBe(false);
    expect(token({ ...good, extra: 1 })).toBe(false);
    const { identity: _dropped, ...missing } = good;
    expect(token(missing)).toBe(false);

    const problem = compile(schemaOf('/v1/Accounts/{accountSid}/Tokens', 'post', '503', 'application/problem+json'));
    const body = { type: 'https://docs.webchat.example/problems/upstream_unavailable', title: 'A service behind this one is unavailable', status: 503, detail: 'scoped-auth is unavailable', code: 'upstream_unavailable', requestId: IDENTITY };
    expect(problem(body)).toBe(true);
    expect(problem({ ...body, code: 'oops' })).toBe(false);
    expect(problem({ ...body, status: 'bad' })).toBe(false);

    const readiness = compile(schemaOf('/readyz', 'get', '503'));
    expect(readiness({ status: 'not_ready', service: 'scoped-auth', checks: { keys: 'failing' } })).toBe(true);
    expect(readiness({ status: 'maybe', service: 'scoped-auth', checks: {} })).toBe(false);
  });

  it('request schemas agree with the zod schemas on valid and invalid bodies', () => {
    const route = scopedAuthRoutes.find((r) => r.operationId === 'generateScopedToken')!;
    const validate = compile(operation(route.path, 'post')!.requestBody!.content['application/json']!.schema);
    const samples: unknown[] = [
      { accountSid: `AC${HEX32}`, grants: {} },
      { accountSid: `AC${HEX32}`, grants: { a: 1 }, ttl: 60, encrypt: false, identity: IDENTITY, fingerprint: 'f' },
      { accountSid: `AC${HEX32}`, grants: {}, ttl: 59 },
      { accountSid: `AC${HEX32}`, grants: {}, ttl: 86_401 },
      { accountSid: `ac${HEX32}`, grants: {} },
      { accountSid: `AC${HEX32}`, grants: {}, extra: true },
      { accountSid: `AC${HEX32}`, grants: [] },
      { accountSid: `AC${HEX32}` },
      { accountSid: `AC${HEX32}`, grants: {}, fingerprint: 'f'.repeat(513) },
    ];
    for (const sample of samples) expect([sample, validate(sample)]).toEqual([sample, route.body!.safeParse(sample).success]);
  });

  it('path parameter schemas match the SID rule', () => {
    const param = operation('/v1/Accounts/{accountSid}/Tokens', 'post')!.parameters![0]!;
    const validate = compile(param.schema);
    expect(validate(`AC${HEX32}`)).toBe(true);
    expect(validate(`AC${HEX32.toUpperCase()}`)).toBe(false);
  });
});
