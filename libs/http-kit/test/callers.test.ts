import crypto from 'node:crypto';
import request from 'supertest';
import { createLogger } from '@webchat/logger';
import { ServiceTokenSigner, ServiceTokenVerifier } from '@webchat/service-auth';
import { createServiceApp, requireCaller } from '../src';

const keys = {
  orchestrator: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  'federated-auth': crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
};
const signer = (issuer: keyof typeof keys, ttlSeconds?: number) =>
  new ServiceTokenSigner({ issuer, privateKey: keys[issuer].privateKey, ...(ttlSeconds ? { ttlSeconds } : {}) });

const verifier = new ServiceTokenVerifier({
  audience: 'scoped-auth',
  publicKeys: { orchestrator: keys.orchestrator.publicKey, 'federated-auth': keys['federated-auth'].publicKey },
});

// scoped-auth's shape: generate accepts federated-auth only, validate the orchestrator only.
const { app } = createServiceApp(
  { service: 'scoped-auth', logger: createLogger({ service: 'scoped-auth', level: 'error' }), body: { limit: '1kb' } },
  (router) => {
    router.post('/generate', requireCaller(verifier, ['federated-auth']), (_req, res) => {
      res.json({ caller: res.locals.caller as string });
    });
    router.post('/validate', requireCaller(verifier, ['orchestrator']), (_req, res) => {
      res.json({ caller: res.locals.caller as string });
    });
  },
);

const post = (path: string, authorization?: string) => {
  const req = request(app).post(path).send({});
  return authorization === undefined ? req : req.set('Authorization', authorization);
};

describe('requireCaller', () => {
  it('when an allowed caller presents a valid token, then the route runs and knows the caller', async () => {
    const res = await post('/generate', `Bearer ${signer('federated-auth').tokenFor('scoped-auth')}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ caller: 'federated-auth' });
  });

  it('when there is no token, then 401 service_token_invalid', async () => {
    const res = await post('/generate');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('service_token_invalid');
  });

  it.each([
    ['another scheme', (t: string) => `Basic ${t}`],
    ['an empty bearer', () => 'Bearer '],
    ['trailing junk', (t: string) => `Bearer ${t} extra`],
  ])('when the header has %s, then 401', async (_name, header) => {
    const res = await post('/generate', header(signer('federated-auth').tokenFor('scoped-auth')));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('service_token_invalid');
  });

  it('when the token is for another audience, then 401', async () => {
    const res = await post('/generate', `Bearer ${signer('federated-auth').tokenFor('federated-auth')}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('service_token_invalid');
  });

  it('when a genuine service that is not on the list calls, then 403 caller_not_allowed', async () => {
    const res = await post('/generate', `Bearer ${signer('orchestrator').tokenFor('scoped-auth')}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'caller_not_allowed', detail: expect.stringContaining('orchestrator') });
    // ...and the same caller is welcome where it is listed
    expect((await post('/validate', `Bearer ${signer('orchestrator').tokenFor('scoped-auth')}`)).status).toBe(200);
  });

  it('the problem never echoes the token', async () => {
    const forged = `${signer('federated-auth').tokenFor('scoped-auth').slice(0, -4)}AAAA`;
    const res = await post('/generate', `Bearer ${forged}`);
    expect(res.status).toBe(401);
    expect(res.text).not.toContain(forged);
  });
});
