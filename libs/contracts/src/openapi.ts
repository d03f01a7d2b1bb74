import { z } from 'zod';
import { Problem, PROBLEM_CONTENT_TYPE } from './problem';
import { isServiceRoute, type RouteSpec } from './route';
import { WEBHOOK_DESCRIPTION, type WebhookDeclaration } from './webhooks';

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parametersOf(schema: z.ZodObject | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const { properties, required = [] } = jsonSchema(schema, 'input') as { properties: Record<string, unknown>; required?: string[] };
  return Object.entries(properties).map(([name, property]) => ({ name, in: where, required: where === 'path' || required.includes(name), schema: property }));
}

/** Builds the OpenAPI 3.1 description from the same zod schemas the code validates with. */
/** OpenAPI 3.1 `webhooks`: the requests we send to customers' endpoints, keyed by event type. */
function webhooksOf(declarations: readonly WebhookDeclaration[]) {
  return Object.fromEntries(
    declarations.map((declaration) => [
      declaration.type,
      {
        post: {
          operationId: `webhook_${declaration.type.replace('.', '_')}`,
          summary: declaration.summary,
          description: WEBHOOK_DESCRIPTION,
          parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({ name, in: 'header', required: true, schema: { type: 'string' } })),
          requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(declaration.schema, 'output') } } },
          responses: {
            '2XX': { description: 'Delivered' },
            '410': { description: 'Gone: the endpoint is disabled' },
            default: { description: 'Retried with backoff for up to 24 h' },
          },
        },
      },
    ]),
  );
}

export function buildOpenApi(
  info: { title: string; version: string; description?: string },
  routes: readonly RouteSpec[],
  webhooks: readonly WebhookDeclaration[] = [],
) {
  const paths: Record<string, Record<string, unknown>> = {};
  const problemSchema = jsonSchema(Problem, 'output');
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema, 'output') } } } : {}),
      };
    }
    for (const status of [400, 500, ...(route.problems ?? [])]) {
      responses[String(status)] ??= {
        description: 'Problem details (RFC 9457)',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    const parameters = [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')];
    const body = route.body
      ? {
          required: true,
          content: Object.fromEntries(
            (route.bodyContentTypes ?? ['application/json']).map((type) => [type, { schema: jsonSchema(route.body!, 'input') }]),
          ),
        }
      : undefined;
    const security = isServiceRoute(route.callers) ? [{ serviceToken: [] }] : route.callers === 'guest' ? [{ guestToken: [] }] : route.callers === 'agent' ? [{ agentKey: [] }] : [];
    (paths[toOpenApiPath(route.path)] ??= {})[route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(body ? { requestBody: body } : {}),
      responses,
      security,
      ...(isServiceRoute(route.callers) ? { 'x-allowed-callers': [...route.callers.services] } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    ...(webhooks.length > 0 ? { webhooks: webhooksOf(webhooks) } : {}),
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
