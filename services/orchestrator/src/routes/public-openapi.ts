import type { Express } from 'express';
import { PUBLIC_OPENAPI_PATH } from '@webchat/contracts';

/** Public and the same for everyone: any page may read it, and caches may keep it for a few minutes. */
export function mountPublicOpenApiRoute(app: Express, document: unknown): void {
  const body = JSON.stringify(document);
  app.get(PUBLIC_OPENAPI_PATH, (_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(body);
  });
}
