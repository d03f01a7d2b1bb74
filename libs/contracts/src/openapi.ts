import { z } from 'zod';
import { Problem, PROBLEM_CONTENT_TYPE } from './problem';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec {
  method: HttpMethod;
  /** Express-style path (`/v1/Accounts/:accountSid/Tokens`). */
  path: string;
  operationId: string;
  summary: string;
  /** Who may call it: a service JWT, a guest bearer token, or nobody in particular. */
  auth: 'service' | 'guest' | 'agent' | 'public';
  params?: z.ZodObject;
  body?: z.ZodType;
  bodyContentTypes?: string[];
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Problem statuses this route documents on top of the generic ones. */
  problems?: number[];
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** Builds the OpenAPI 3.1 description from the same zod schemas the code validates with. */
export function buildOpenApi(info: { title: string; version: string; description?: string }, routes: RouteSpec[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  const problemSchema = jsonSchema(Problem, 'output');
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { 'application/json': { schema: jsonSchema(response.schema, 'output') } } } : {}),
      };
    }
    for (const status of [400, 500, ...(route.problems ?? [])]) {
      responses[String(status)] ??= {
        description: 'Problem details (RFC 9457)',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    const parameters = route.params
      ? Object.entries(jsonSchema(route.params, 'input').properties as Record<string, unknown>).map(([name, schema]) => ({
          name,
          in: 'path',
          required: true,
          schema,
        }))
      : undefined;
    const body = route.body
      ? {
          required: true,
          content: Object.fromEntries(
            (route.bodyContentTypes ?? ['application/json']).map((type) => [type, { schema: jsonSchema(route.body!, 'input') }]),
          ),
        }
      : undefined;
    const security = route.auth === 'public' ? [] : [{ [`${route.auth}${route.auth === 'agent' ? 'Key' : 'Token'}`]: [] }];
    (paths[toOpenApiPath(route.path)] ??= {})[route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(parameters ? { parameters } : {}),
      ...(body ? { requestBody: body } : {}),
      responses,
      security,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        serviceToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Short-lived service JWT (ES256)' },
        guestToken: { type: 'http', scheme: 'bearer', description: 'The guest token from /v2/Webchat/Token' },
        agentKey: { type: 'http', scheme: 'bearer', description: 'An agent or bot key (wk_...) from webchat-admin agents add' },
      },
    },
  };
}
export type OpenApiDocument = ReturnType<typeof buildOpenApi>;
