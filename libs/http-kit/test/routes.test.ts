import crypto from 'node:crypto';
import request from 'supertest';
import { z } from 'zod';
import { declareRoute, type RouteSpec } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import { ServiceTokenSigner, ServiceTokenVerifier } from '@webchat/service-auth';
import { createServiceApp, type ContractViolations } from '../src';
import { capturingLogger, flushLogs } from './helpers';

const orchestratorKeys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const strangerKeys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const verifier = new ServiceTokenVerifier({
  audience: 'test-service',
  publicKeys: { orchestrator: orchestratorKeys.publicKey, stranger: strangerKeys.publicKey },
});
const bearer = (issuer: 'orchestrator' | 'stranger') =>
  `Bearer ${new ServiceTokenSigner({ issuer, privateKey: (issuer === 'orchestrator' ? orchestratorKeys : strangerKeys).privateKey }).tokenFor('test-service')}`;

const Greeting = z.strictObject({ greeting: z.string(), count: z.number().int() });
const greetRoute = declareRoute({
  method: 'post', path: '/v1/Greetings/:name', operationId: 'greet', summary: 'Greets', callers: { services: ['orchestrator'] }, cache: 'no-store',
  params: z.strictObject({ name: z.string().regex(/^[a-z]{1,10}$/) }),
  query: z.strictObject({ loud: z.enum(['yes', 'no']).optional() }),
  body: z.strictObject({ times: z.number().int().min(1).max(3) }),
  responses: { 200: { description: 'The greeting', schema: Greeting } }, problems: [401, 403],
  counters: { greeted: { name: 'greetings_total', help: 'Greetings by loudness', labels: ['loud'] } },
});
const waveRoute = declareRoute({
  method: 'get', path: '/v1/Waves', operationId: 'wave', summary: 'Waves', callers: 'guest', cache: 'no-store',
  responses: { 201: { description: 'The wave', schema: Greeting } },
  counters: { greeted: { name: 'greetings_total', help: 'Greetings by loudness', labels: ['loud'] } },
});
const brokenRoute = declareRoute({
  method: 'get', path: '/v1/Broken', operationId: 'broken', summary: 'Answers outside its contract', callers: 'public',
  responses: { 200: { description: 'A greeting', schema: Greeting } },
});
const declared: RouteSpec[] = [greetRoute, waveRoute, brokenRoute];

function build(contractViolations: ContractViolations) {
  const { logger, records } = capturingLogger('test-service');
  let handled = 0;
  const serviceApp = createServiceApp<{ name: string }>(
    {
      service: 'test-service', logger, body: { limit: '1kb' }, contractViolations, verifier,
      api: { info: { title: 'test', version: '1' }, routes: declared },
      guest: async (req) => {
        if (req.get('authorization') !== 'Bearer guest-ann') throw new AppError('token_invalid');
        return { name: 'ann' };
      },
    },
    (_app, routes) => {
      routes.mount(greetRoute, ({ params, query, body, caller, count }) => {
        handled += 1;
        count.greeted.inc({ loud: query.loud ?? 'no' });
        return { greeting: `${query.loud === 'yes' ? 'HELLO' : 'hello'} ${params.name} from ${caller}`, count: body.times };
      });
      routes.mount(waveRoute, ({ guest, count }) => {
        count.greeted.inc({ loud: 'no' });
        return { greeting: `wave to ${guest.name}`, count: 1 };
      });
      // The handler leaks a field the contract does not have: exactly what response validation is for.
      routes.mount(brokenRoute, () => ({ greeting: 'hi', count: 1, secret: 'internal detail' }) as unknown as z.input<typeof Greeting>);
    },
  );
  return { ...serviceApp, records, handled: () => handled };
}

describe('a declared route', () => {
  const built = build('fail');
  const { app } = built;

  it('when an allowed service calls with a valid path, query and body, then the handler answers with the declared status and no-store', async () => {
    const res = await request(app).post('/v1/Greetings/ann?loud=yes').set('Authorization', bearer('orchestrator')).send({ times: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ greeting: 'HELLO ann from orchestrator', count: 2 });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('when the caller has no service token, then 401 with no-store and the handler never runs', async () => {
    const before = built.handled();
    const res = await request(app).post('/v1/Greetings/ann').send({ times: 1 });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('service_token_invalid');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(built.handled()).toBe(before);
  });

  it('when a genuine service that is not among the callers calls, then 403 caller_not_allowed', async () => {
    const res = await request(app).post('/v1/Greetings/ann').set('Authorization', bearer('stranger')).send({ times: 1 });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('caller_not_allowed');
  });

  it.each([
    ['the path', '/v1/Greetings/ANN', { times: 1 }, 'name'],
    ['the query', '/v1/Greetings/ann?loud=maybe', { times: 1 }, 'loud'],
    ['the body', '/v1/Greetings/ann', { times: 9 }, 'times'],
  ])('when %s is not valid, then 400 invalid_request naming the field and the handler never runs', async (_where, path, body, field) => {
    const before = built.handled();
    const res = await request(app).post(path).set('Authorization', bearer('orchestrator')).send(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
    expect(built.handled()).toBe(before);
  });

  it('when a guest route is called, then the guest step decides who it is, and its refusal is the answer', async () => {
    const ok = await request(app).get('/v1/Waves').set('Authorization', 'Bearer guest-ann');
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ greeting: 'wave to ann', count: 1 });
    const refused = await request(app).get('/v1/Waves');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('token_invalid');
    expect(refused.headers['cache-control']).toBe('no-store');
  });

  it('when two routes declare the same counter, then both count into one series on /metrics', async () => {
    await request(app).get('/v1/Waves').set('Authorization', 'Bearer guest-ann');
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toMatch(/greetings_total\{loud="yes",service="test-service"\} [1-9]/);
    expect(metrics.text).toMatch(/greetings_total\{loud="no",service="test-service"\} [1-9]/);
  });

  it('when the OpenAPI document is asked for, then it is built from the declarations: callers, query and path parameters', async () => {
    const doc = (await request(app).get('/openapi.json')).body;
    const greet = doc.paths['/v1/Greetings/{name}'].post;
    expect(greet['x-allowed-callers']).toEqual(['orchestrator']);
    expect(greet.security).toEqual([{ serviceToken: [] }]);
    expect(greet.parameters.map((p: { name: string; in: string; required: boolean }) => [p.name, p.in, p.required])).toEqual([
      ['name', 'path', true],
      ['loud', 'query', false],
    ]);
    expect(doc.paths['/v1/Waves'].get.security).toEqual([{ guestToken: [] }]);
  });

  it('when a declared path is asked with another method, then 405 with Allow', async () => {
    const res = await request(app).delete('/v1/Waves');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });
});

describe('a handler that answers outside its declared response schema', () => {
  it('in development and test, then the request fails with a 500 that exposes nothing and the violation is logged', async () => {
    const { app, records } = build('fail');
    const res = await request(app).get('/v1/Broken');
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('internal_error');
    expect(JSON.stringify(res.body)).not.toContain('internal detail');
    await flushLogs();
    const failed = records().find((r) => r.message === 'request failed');
    expect(JSON.stringify(failed)).toContain('broken answered 200 outside its contract');
  });

  it('in production, then the answer goes out, the violation is logged and counted', async () => {
    const { app, records } = build('report');
    const res = await request(app).get('/v1/Broken');
    expect(res.status).toBe(200);
    await flushLogs();
    expect(records().find((r) => r.message === 'response violates its contract')).toMatchObject({ level: 'error', operationId: 'broken', status: 200 });
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toMatch(/http_response_contract_violations_total\{operation="broken",service="test-service"\} 1/);
  });
});

describe('declared once', () => {
  const logger = capturingLogger('test-service').logger;
  const api = { info: { title: 'test', version: '1' }, routes: [brokenRoute] as RouteSpec[] };

  it('when a declared route is never mounted, then the app refuses to start', () => {
    expect(() => createServiceApp({ service: 'test-service', logger, body: { limit: '1kb' }, api }, () => undefined)).toThrow(
      'Declared but not mounted: broken',
    );
  });

  it('when a route is mounted that the service does not declare, then the app refuses to start', () => {
    expect(() =>
      createServiceApp({ service: 'test-service', logger, body: { limit: '1kb' }, api, verifier }, (_app, routes) => {
        routes.mount(brokenRoute, () => ({ greeting: 'hi', count: 1 }));
        routes.mount(greetRoute, () => ({ greeting: 'hi', count: 1 }));
      }),
    ).toThrow('greet is mounted but not declared');
  });
});
