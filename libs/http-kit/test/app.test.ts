import net from 'node:net';
import request from 'supertest';
import { z } from 'zod';
import { buildOpenApi, operationalRoutes, PROBLEM_CONTENT_TYPE, type RouteSpec } from '@webchat/contracts';
import { AppError, createServiceApp, listen, parseWith } from '../src';
import { capturingLogger, flushLogs } from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const Body = z.strictObject({ accountSid: z.string().regex(/^AC[0-9a-f]{32}$/), ttl: z.number().int().min(60) });
const SID = `AC${'0'.repeat(32)}`;
const TOKENS_ROUTE: RouteSpec = {
  method: 'post', path: '/v1/Accounts/:accountSid/Tokens', operationId: 'createToken', summary: 'A contract route', callers: { services: ['orchestrator'] },
  responses: { 200: { description: 'ok' } },
};

function build(options: { allowForm?: boolean; readiness?: Record<string, () => Promise<boolean> | boolean> } = {}) {
  const { logger, records } = capturingLogger('test-service');
  const serviceApp = createServiceApp(
    {
      service: 'test-service',
      logger,
      body: { limit: '1kb', ...(options.allowForm ? { allowForm: true } : {}) },
      ...(options.readiness ? { readiness: options.readiness } : {}),
      openapi: buildOpenApi({ title: 'test', version: '1' }, [...operationalRoutes, TOKENS_ROUTE]),
    },
    (app) => {
      app.post('/v1/Accounts/:accountSid/Tokens', (req, res) => {
        const body = parseWith(Body, req.body);
        res.json({ accountSid: req.params.accountSid, ttl: body.ttl });
      });
      app.post('/echo', (req, res) => {
        logger.info('handling echo');
        res.json({ body: req.body as unknown });
      });
      app.get('/boom', () => {
        throw new Error('database password is hunter2 at db.internal:5432');
      });
      app.get('/refused', () => {
        throw new AppError('caller_not_allowed', 'orchestrator may not call this endpoint');
      });
    },
  );
  return { ...serviceApp, records };
}

const expectProblem = (res: request.Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toContain(PROBLEM_CONTENT_TYPE);
  expect(res.body).toMatchObject({ type: expect.stringContaining(code), title: expect.any(String), status, code, detail: expect.any(String) });
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
};

describe('request id', () => {
  const { app, records } = build();

  it('when the caller sends none, then one is generated and returned', async () => {
    const res = await request(app).get('/healthz');
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('when the caller sends a safe one, then it is reused in the header, the problem body and the log line', async () => {
    const id = 'starship-7f3a9c21.0001';
    const res = await request(app).get('/refused').set('X-Request-Id', id);
    expect(res.headers['x-request-id']).toBe(id);
    expectProblem(res, 403, 'caller_not_allowed');
    await flushLogs();
    expect(records().find((r) => r.message === 'request refused' && r.requestId === id)).toMatchObject({ code: 'caller_not_allowed', service: 'test-service' });
  });

  it('when the route logs after the body was parsed, then the line carries the request id', async () => {
    const id = 'after-body-parse-01';
    await request(app).post('/echo').set('X-Request-Id', id).send({ a: 1 }).expect(200);
    await flushLogs();
    expect(records().find((r) => r.message === 'handling echo')).toMatchObject({ requestId: id });
  });

  it('each request gets one access line with its id, method, route pattern and status; probes do not', async () => {
    const id = 'access-line-0001';
    await request(app).post(`/v1/Accounts/${SID}/Tokens`).set('X-Request-Id', id).send({ accountSid: SID, ttl: 60 }).expect(200);
    await request(app).get('/healthz').set('X-Request-Id', 'probe-request-01').expect(200);
    await flushLogs();
    const access = records().filter((r) => r.message === 'request');
    expect(access.filter((r) => r.requestId === id)).toEqual([
      expect.objectContaining({ method: 'POST', route: '/v1/Accounts/:accountSid/Tokens', status: 200, durationMs: expect.any(Number) }),
    ]);
    expect(access.filter((r) => r.requestId === 'probe-request-01')).toEqual([]);
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['too short', 'abc'],
    ['with spaces and markup', 'abc def <script>'],
  ])('when the inbound id is %s, then it is replaced', async (_why, inbound) => {
    const res = await request(app).get('/healthz').set('X-Request-Id', inbound);
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('when the inbound id carries CR/LF, then it is never echoed', async () => {
    const running = await listen({ app, port: 0 });
    try {
      for (const injected of ['abcdefgh\rInjected: yes', 'abcdefgh\nInjected: yes']) {
        const raw = await new Promise<string>((resolve, reject) => {
          const socket = net.connect(running.port, '127.0.0.1');
          let out = '';
          socket.on('data', (chunk) => (out += chunk.toString()));
          socket.on('error', reject);
          socket.on('close', () => resolve(out));
          socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${injected}\r\nConnection: close\r\n\r\n`);
        });
        expect(raw).toMatch(/^HTTP\/1\.1 [24]00/);
        expect(raw).not.toMatch(/abcdefgh|Injected/);
      }
    } finally {
      await running.close();
    }
  });
});

describe('bodies', () => {
  const jsonOnly = build();
  const withForm = build({ allowForm: true });

  it('when the body is text/plain, then 415', async () => {
    const res = await request(jsonOnly.app).post('/echo').set('content-type', 'text/plain').send('hello');
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('when a form is posted to a JSON-only app, then 415; where forms are allowed, it is parsed', async () => {
    expectProblem(await request(jsonOnly.app).post('/echo').type('form').send('deploymentKey=abc'), 415, 'unsupported_media_type');
    const res = await request(withForm.app).post('/echo').type('form').send('deploymentKey=abc');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ body: { deploymentKey: 'abc' } });
  });

  it('when the body is over the limit, then 413', async () => {
    const res = await request(jsonOnly.app).post('/echo').send({ filler: 'x'.repeat(2048) });
    expectProblem(res, 413, 'payload_too_large');
  });

  it('when the JSON is malformed, then 400 malformed_json', async () => {
    const res = await request(jsonOnly.app).post('/echo').set('content-type', 'application/json').send('{"a":');
    expectProblem(res, 400, 'malformed_json');
  });

  it('when a JSON body is valid, then the route gets it', async () => {
    const res = await request(jsonOnly.app).post('/echo').send({ a: [1, 2] });
    expect(res.body).toEqual({ body: { a: [1, 2] } });
  });
});

describe('errors', () => {
  const { app, records } = build();

  it('when no route matches, then a 404 problem', async () => {
    expectProblem(await request(app).get('/nope'), 404, 'not_found');
    expectProblem(await request(app).delete(`/v1/Accounts/${SID}/Tokens/extra`), 404, 'not_found');
  });

  it.each([
    ['GET on a POST-only contract route', 'get', `/v1/Accounts/${SID}/Tokens`, 'POST'],
    ['DELETE with other letter case and a trailing slash', 'delete', `/V1/accounts/${SID}/tokens/`, 'POST'],
    ['POST on a GET-only operational route', 'post', '/healthz', 'GET, HEAD'],
    ['PUT on the OpenAPI document', 'put', '/openapi.json', 'GET, HEAD'],
  ] as const)('when %s is asked, then 405 with Allow, not a 404 that says the endpoint does not exist', async (_what, method, path, allow) => {
    const res = await request(app)[method](path);
    expectProblem(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe(allow);
    expect(res.body.detail).toContain(allow);
  });

  it('when the method is allowed, then the route answers as before', async () => {
    await request(app).post(`/v1/Accounts/${SID}/Tokens`).send({ accountSid: SID, ttl: 60 }).expect(200);
    await request(app).head('/healthz').expect(200);
  });

  it('when a route throws a plain Error, then 500 internal_error with neither stack nor internal message; the log has both', async () => {
    const res = await request(app).get('/boom').set('X-Request-Id', 'boom-request-0001');
    expectProblem(res, 500, 'internal_error');
    expect(res.text).not.toMatch(/hunter2|db\.internal|at .*\.ts|stack/);
    await flushLogs();
    const line = records().find((r) => r.message === 'request failed' && r.requestId === 'boom-request-0001');
    expect(line).toMatchObject({ level: 'error', code: 'internal_error', err: { message: expect.stringContaining('hunter2'), stack: expect.any(String) } });
  });

  it('every response carries nosniff', async () => {
    expect((await request(app).get('/healthz')).headers['x-content-type-options']).toBe('nosniff');
    expect((await request(app).get('/nope')).headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('parseWith', () => {
  const { app } = build();
  const url = `/v1/Accounts/${SID}/Tokens`;

  it('when fields are wrong, then 400 invalid_request with one error per field', async () => {
    const res = await request(app).post(url).send({ accountSid: 'AC123', ttl: 'soon' });
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'accountSid', message: expect.any(String) },
        { field: 'ttl', message: expect.any(String) },
      ]),
    );
    expect(res.body.errors).toHaveLength(2);
  });

  it('when unknown fields are sent, then they are named', async () => {
    const res = await request(app).post(url).send({ accountSid: SID, ttl: 60, admin: true, role: 'x' });
    expectProblem(res, 400, 'invalid_request');
    expect(res.body.errors).toEqual([{ field: 'body', message: expect.stringMatching(/admin.*role|role.*admin/) }]);
    expect(res.body.detail).toContain('admin');
  });

  it('when the body is valid, then the route answers', async () => {
    const res = await request(app).post(url).send({ accountSid: SID, ttl: 60 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accountSid: SID, ttl: 60 });
  });

  it('used directly, returns the parsed value or throws an AppError naming the place', () => {
    expect(parseWith(Body, { accountSid: SID, ttl: 61 })).toEqual({ accountSid: SID, ttl: 61 });
    expect(() => parseWith(Body, {}, 'query')).toThrow(expect.objectContaining({ code: 'invalid_request', status: 400, message: expect.stringContaining('query') }));
  });
});

describe('operational routes', () => {
  it('/healthz answers ok with the service name', async () => {
    const { app } = build();
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok', service: 'test-service' });
  });

  it('/readyz is 200 when every check passes and 503 naming the failing one otherwise', async () => {
    const ok = build({ readiness: { db: () => true, keys: async () => true } });
    expect((await request(ok.app).get('/readyz')).body).toEqual({ status: 'ready', service: 'test-service', checks: { db: 'ok', keys: 'ok' } });

    const failing = build({
      readiness: {
        db: async () => false,
        keys: () => true,
        flags: () => {
          throw new Error('flag store down');
        },
      },
    });
    const res = await request(failing.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not_ready', service: 'test-service', checks: { db: 'failing', keys: 'ok', flags: 'failing' } });
  });

  it('/readyz is not ready within about 2 s when a check hangs', async () => {
    const { app } = build({ readiness: { hangs: () => new Promise<boolean>(() => {}) } });
    const started = Date.now();
    const res = await request(app).get('/readyz');
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ hangs: 'failing' });
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(3000);
  });

  it('/readyz is 503 while draining, though every check passes', async () => {
    const { app, lifecycle } = build({ readiness: { db: () => true } });
    lifecycle.draining = true;
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('not_ready');
  });

  it('/metrics counts requests by route pattern, never the raw path', async () => {
    const { app, metrics } = build();
    await request(app).post(`/v1/Accounts/${SID}/Tokens`).send({ accountSid: SID, ttl: 60 }).expect(200);
    await request(app).post(`/v1/Accounts/${SID}/Tokens`).send({}).expect(400);
    await request(app).get(`/unknown/${SID}`).expect(404);
    const minted = metrics.counter('tokens_minted_total', 'Tokens minted', ['kind']);
    minted.inc({ kind: 'guest' });

    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toMatch(/http_requests_total\{[^}]*method="POST",route="\/v1\/Accounts\/:accountSid\/Tokens",status="200"[^}]*\} 1/);
    expect(text).toMatch(/http_requests_total\{[^}]*route="\/v1\/Accounts\/:accountSid\/Tokens",status="400"[^}]*\} 1/);
    expect(text).toMatch(/http_requests_total\{[^}]*route="unmatched",status="404"[^}]*\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/v1\/Accounts\/:accountSid\/Tokens"/);
    expect(text).toMatch(/tokens_minted_total\{[^}]*kind="guest"[^}]*\} 1/);
    expect(text).toContain('service="test-service"');
    expect(text).not.toContain(SID);
  });

  it('/openapi.json serves the description it was given', async () => {
    const { app } = build();
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(['/healthz', '/readyz', '/v1/Accounts/{accountSid}/Tokens']);
  });
});
