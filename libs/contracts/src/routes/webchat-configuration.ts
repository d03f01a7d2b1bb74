import { declareRoute } from '../route';
import { PUBLIC_OPENAPI_PATH, WEBCHAT_CONFIGURATION_PATH, WebchatConfiguration, WebchatConfigurationQuery } from '../widget-configuration';

/**
 * Not `no-store`: a success may be reused by the browser and Starship for WEBCHAT_CONFIGURATION_MAX_AGE seconds,
 * per Origin (the handler sets it); refusals stay `no-store` (publicCors).
 */
export const getWebchatConfigurationRoute = declareRoute({
  method: 'get', path: WEBCHAT_CONFIGURATION_PATH, operationId: 'getWebchatConfiguration', callers: 'public', query: WebchatConfigurationQuery,
  summary: "The widget's configuration for a deployment key (brand colour, position, texts, pre-engagement fields); cached briefly, per Origin",
  responses: { 200: { description: 'The configuration', schema: WebchatConfiguration } }, problems: [403, 502, 503, 504],
});

export const getPublicOpenApiRoute = declareRoute({
  method: 'get', path: PUBLIC_OPENAPI_PATH, operationId: 'getPublicOpenApi', callers: 'public',
  summary: 'This description: the public routes only', responses: { 200: { description: 'OpenAPI 3.1' } },
});
