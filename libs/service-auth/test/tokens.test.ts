import crypto, { type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  SERVICE_TOKEN_ALGORITHM,
  SERVICE_TOKEN_MAX_LIFETIME_SECONDS,
  SERVICE_TOKEN_TYP,
  ServiceTokenSigner,
  ServiceTokenVerifier,
} from '../src';

const pair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const orchestrator = pair();
const federated = pair();
const stranger = pair();
const NOW = 1_900_000_000;

const verifierFor = (audience: string, now: () => number = () => NOW) =>
  new ServiceTokenVerifier({ audience, publicKeys: { orchestrator: orchestrator.publicKey, 'federated-auth': federated.publicKey }, now });

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** Good claims, with `over` changing or (as undefined) removing some. */
const claims = (over: Record<string, unknown> = {}) =>
  Object.fromEntries(
    Object.entries({ iss: 'orchestrator', sub: 'orchestrator', aud: 'federated-auth', jti: crypto.randomUUID(), iat: NOW, exp: NOW + 120, ...over }).filter(
      ([, value]) => value !== undefined,
    ),
  );
/** Signs like a real caller would, with whatever we choose to get wrong. */
const signWith = (key: KeyObject, payload: object, header: Record<string, unknown> = {}) =>
  jwt.sign(payload, key, {
    algorithm: SERVICE_TOKEN_ALGORITHM,
    header: { alg: SERVICE_TOKEN_ALGORITHM, typ: SERVICE_TOKEN_TYP, kid: 'orchestrator', ...header },
    noTimestamp: !('iat' in payload),
  });

const rejection = (verifier: ServiceTokenVerifier, token: string) => {
  try {
    verifier.verify(token);
  } catch (err) {
    return err as { code?: string; status?: number; message?: string };
  }
  throw new Error('expected the token to be refused');
};

describe('ServiceTokenSigner and ServiceTokenVerifier', () => {
  it('a token signed by a known caller for this audience verifies, with its claims', () => {
    const signer = new ServiceTokenSigner({ issuer: 'orchestrator', privateKey: orchestrator.privateKey, now: () => NOW });
    const token = signer.tokenFor('federated-auth');
    const header = jwt.decode(token, { complete: true })?.header;
    expect(header).toMatchObject({ alg: 'ES256', typ: SERVICE_TOKEN_TYP, kid: 'orchestrator' });
    expect(verifierFor('federated-auth').verify(token)).toEqual({ iss: 'orchestrator', aud: 'federated-auth', jti: expect.any(String), iat: NOW, exp: NOW + 120 });
  });

  it('the signer caches one token per audience and re-signs only shortly before expiry', () => {
    let now = NOW;
    const signer = new ServiceTokenSigner({ issuer: 'orchestrator', privateKey: orchestrator.privateKey, ttlSeconds: 120, refreshBeforeSeconds: 30, now: () => now });
    const first = signer.tokenFor('federated-auth');
    const other = signer.tokenFor('scoped-auth');
    expect(other).not.toBe(first);
    expect(jwt.decode(other, { json: true })?.aud).toBe('scoped-auth');

    now = NOW + 89; // 31 s left: still good
    expect(signer.tokenFor('federated-auth')).toBe(first);
    expect(signer.tokenFor('scoped-auth')).toBe(other);

    now = NOW + 90; // 30 s left: re-sign
    const second = signer.tokenFor('federated-auth');
    expect(second).not.toBe(first);
    expect(jwt.decode(second, { json: true })).toMatchObject({ iat: NOW + 90, exp: NOW + 210 });
    expect(signer.tokenFor('federated-auth')).toBe(second);
  });

  it('the signer never issues a token longer than the maximum lifetime', () => {
    const signer = new ServiceTokenSigner({ issuer: 'orchestrator', privateKey: orchestrator.privateKey, ttlSeconds: 3600, now: () => NOW });
    const payload = jwt.decode(signer.tokenFor('federated-auth'), { json: true });
    expect((payload?.exp ?? 0) - (payload?.iat ?? 0)).toBe(SERVICE_TOKEN_MAX_LIFETIME_SECONDS);
  });
});

describe('ServiceTokenVerifier refuses', () => {
  const verifier = verifierFor('federated-auth');

  const cases: [string, () => string, RegExp][] = [
    ['an empty token', () => '', /malformed/],
    ['garbage', () => 'not-a-token', /malformed/],
    ['an expired token', () => signWith(orchestrator.privateKey, claims({ iat: NOW - 200, exp: NOW - 60 })), /expired/],
    ['a token for another audience', () => signWith(orchestrator.privateKey, claims({ aud: 'scoped-auth' })), /not valid/],
    ['a token with several audiences', () => signWith(orchestrator.privateKey, claims({ aud: ['federated-auth', 'scoped-auth'] })), /claims/],
    ['an unknown kid', () => signWith(stranger.privateKey, claims({ iss: 'intruder' }), { kid: 'intruder' }), /unknown key/],
    ['a kid that names an Object.prototype member', () => signWith(stranger.privateKey, claims({ iss: 'constructor' }), { kid: 'constructor' }), /unknown key/],
    ['no kid', () => signWith(orchestrator.privateKey, claims(), { kid: undefined }), /unknown key/],
    ['a forged signature (another key, the right kid)', () => signWith(stranger.privateKey, claims()), /not valid/],
    ['an issuer other than the kid', () => signWith(orchestrator.privateKey, claims({ iss: 'federated-auth' })), /not valid/],
    ['alg: none', () => `${b64({ alg: 'none', typ: SERVICE_TOKEN_TYP, kid: 'orchestrator' })}.${b64(claims())}.`, /not valid/],
    [
      'HS256 signed with the public key bytes',
      () => {
        const signingInput = `${b64({ alg: 'HS256', typ: SERVICE_TOKEN_TYP, kid: 'orchestrator' })}.${b64(claims())}`;
        const secret = orchestrator.publicKey.export({ type: 'spki', format: 'pem' });
        return `${signingInput}.${crypto.createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
      },
      /not valid/,
    ],
    ['typ JWT', () => signWith(orchestrator.privateKey, claims(), { typ: 'JWT' }), /wrong type/],
    ['no typ', () => signWith(orchestrator.privateKey, claims(), { typ: undefined }), /wrong type/],
    ['typ JWT with a payload that is not JSON', () => `${b64({ alg: 'ES256', typ: 'JWT', kid: 'orchestrator' })}.${Buffer.from('not json').toString('base64url')}.c2ln`, /malformed|wrong type/],
    ['a lifetime over 5 minutes', () => signWith(orchestrator.privateKey, claims({ exp: NOW + SERVICE_TOKEN_MAX_LIFETIME_SECONDS + 1 })), /too long/],
    ['a token issued in the future (a long life hidden behind a short exp - iat)', () => signWith(orchestrator.privateKey, claims({ iat: NOW + 3600, exp: NOW + 3700 })), /future/],
    ['a missing jti', () => signWith(orchestrator.privateKey, claims({ jti: undefined })), /claims/],
    ['a missing exp', () => signWith(orchestrator.privateKey, claims({ exp: undefined })), /claims/],
    ['a missing iat', () => signWith(orchestrator.privateKey, claims({ iat: undefined })), /claims/],
  ];

  it.each(cases)('%s, with 401 service_token_invalid', (_name, make, detail) => {
    const err = rejection(verifier, make());
    expect(err).toMatchObject({ code: 'service_token_invalid', status: 401 });
    expect(err.message).toMatch(detail);
  });

  it('accepts a token a few seconds past expiry only within the clock tolerance', () => {
    const token = signWith(orchestrator.privateKey, claims({ iat: NOW - 120, exp: NOW - 3 }));
    expect(verifierFor('federated-auth').verify(token).iss).toBe('orchestrator');
    expect(rejection(verifierFor('federated-auth', () => NOW + 10), token)).toMatchObject({ code: 'service_token_invalid' });
  });
});

describe('verification cache', () => {
  afterEach(() => jest.restoreAllMocks());

  it('a repeated token is not verified again', () => {
    const verifier = verifierFor('federated-auth');
    const token = signWith(orchestrator.privateKey, claims());
    const verify = jest.spyOn(jwt, 'verify');
    const first = verifier.verify(token);
    for (let i = 0; i < 50; i += 1) expect(verifier.verify(token)).toEqual(first);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('a cached token is refused once it has expired', () => {
    let now = NOW;
    const verifier = verifierFor('federated-auth', () => now);
    const token = signWith(orchestrator.privateKey, claims({ exp: NOW + 60 }));
    expect(verifier.verify(token).exp).toBe(NOW + 60);
    now = NOW + 60 + 30;
    expect(rejection(verifier, token)).toMatchObject({ code: 'service_token_invalid', message: expect.stringMatching(/expired/) });
  });

  it('a refused token is not cached as good', () => {
    const verifier = verifierFor('federated-auth');
    const forged = signWith(stranger.privateKey, claims());
    rejection(verifier, forged);
    expect(rejection(verifier, forged)).toMatchObject({ code: 'service_token_invalid' });
  });
});
