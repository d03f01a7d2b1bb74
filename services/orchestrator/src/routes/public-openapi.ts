import { getPublicOpenApiRoute } from '@webchat/contracts';
import type { RouteMounter } from '@webchat/http-kit';
import type { Guest } from '../domain/web-channels';

/** Public and the same for everyone: any page may read it, and caches may keep it for a few minutes. */
export function mountPublicOpenApiRoute(routes: RouteMounter<Guest>, document: unknown): void {
  routes.mount(getPublicOpenApiRoute, ({ res }) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'public, max-age=300');
    return document as never;
  });
}
