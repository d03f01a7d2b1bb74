import { generateKeyPairSync } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createLogger, currentRequestId, redact, REDACTED, requestContext } from '../src';

// Real-looking material, built here so nothing secret-shaped sits in the repository as a literal.
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const JWS = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'k1' })}.${b64({ sub: 'guest', aud: 'webchat' })}.c2lnbmF0dXJlLWJ5dGVzLWhlcmU`;
const JWE = `${b64({ alg: 'dir', enc: 'A256GCM', kid: 'e1', cty: 'JWT' })}..aXYtYnl0ZXMtMTI.Y2lwaGVydGV4dC1ieXRlcw.dGFnLWJ5dGVzLTE2`;
const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim();
const DEPLOYMENT_KEY = 'dk_live1234567890abcdefXYZ';

function capture(service = 'federated-auth', level?: string) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const logger = createLogger({ service, stream, ...(level ? { level } : {}) });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createLogger', () => {
  it('writes one JSON object per line with level, message, service and timestamp', async () => {
    const { logger, lines, records } = capture('scoped-auth');
    logger.info('token minted', { accountSid: 'AC0123', count: 2 });
    logger.warn('slow');
    await flush();
    expect(lines).toHaveLength(2);
    expect(records()[0]).toEqual({
      level: 'info',
      message: 'token minted',
      service: 'scoped-auth',
      accountSid: 'AC0123',
      count: 2,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(records()[1]).toMatchObject({ level: 'warn', message: 'slow', service: 'scoped-auth' });
  });

  it('respects the level: debug lines are dropped at info', async () => {
    const { logger, lines } = capture('s', 'info');
    logger.debug('noise');
    logger.error('kept');
    await flush();
    expect(lines).toHaveLength(1);
  });

  it('adds the request id of the current request, across awaits, and none outside a request', async () => {
    const { logger, records } = capture();
    logger.info('outside');
    await requestContext.run({ requestId: 'req-abc-123' }, async () => {
      expect(currentRequestId()).toBe('req-abc-123');
      await new Promise((resolve) => setTimeout(resolve, 5));
      logger.info('inside, after an await');
    });
    await requestContext.run({ requestId: 'req-other' }, async () => logger.info('another request'));
    await flush();
    const [outside, inside, other] = records();
    expect(outside).not.toHaveProperty('requestId');
    expect(inside).toMatchObject({ message: 'inside, after an await', requestId: 'req-abc-123' });
    expect(other).toMatchObject({ requestId: 'req-other' });
  });

  it('keeps Date values readable', async () => {
    const { logger, records } = capture();
    logger.info('expires', { expiresAt: new Date('2030-01-02T03:04:05.000Z') });
    await flush();
    expect(records()[0]?.expiresAt).toBe('2030-01-02T03:04:05.000Z');
  });
});

describe('redaction in log lines', () => {
  const SECRETS = [JWS, JWE, 'MIGHAgEAMBMGByqGSM49', 'c2VjcmV0LWtleS1ieXRlcw', 'live1234567890abcdef', 'opaque-service-token', 's3cr3t-value', 'raw-fingerprint-value'];

  const expectNoSecret = (lines: string[]) => {
    for (const line of lines) for (const secret of SECRETS) expect(line).not.toContain(secret);
  };

  it('removes JWT and JWE strings from the message and from nested metadata', async () => {
    const { logger, lines, records } = capture();
    logger.info(`validated ${JWS} and ${JWE}`);
    logger.info('nested', { upstream: { response: { body: `{"value":"${JWE}"}` }, list: ['x', JWS] } });
    await flush();
    expectNoSecret(lines);
    expect(records()[0]?.message).toBe(`validated ${REDACTED} and ${REDACTED}`);
    expect(records()[1]).toMatchObject({ upstream: { response: { body: `{"value":"${REDACTED}"}` }, list: ['x', REDACTED] } });
  });

  it("removes tokens from an error's message and stack, whether logged as the message or as metadata", async () => {
    const { logger, lines, records } = capture();
    const err = new Error(`could not verify ${JWS}`);
    logger.error(err);
    logger.error('request failed', { err });
    await flush();
    expectNoSecret(lines);
    const [direct, asMeta] = records();
    expect(direct?.message).toBe(`could not verify ${REDACTED}`);
    expect(direct?.stack).toEqual(expect.stringContaining(`could not verify ${REDACTED}`));
    expect(asMeta?.err).toMatchObject({ name: 'Error', message: `could not verify ${REDACTED}`, stack: expect.stringContaining(REDACTED) });
  });

  it('removes PEM keys', async () => {
    const { logger, lines, records } = capture();
    logger.info(`loaded key ${PEM} from disk`, { pem: PEM });
    await flush();
    expectNoSecret(lines);
    expect(records()[0]?.message).toBe(`loaded key ${REDACTED} from disk`);
  });

  it('removes authorization headers, whatever their case, and Bearer credentials in free text', async () => {
    const { logger, lines, records } = capture();
    logger.info('upstream call', { headers: { Authorization: 'Bearer opaque-service-token', accept: 'application/json' } });
    logger.info('got header Bearer opaque-service-token from client');
    await flush();
    expectNoSecret(lines);
    expect(records()[0]?.headers).toEqual({ Authorization: REDACTED, accept: 'application/json' });
    expect(records()[1]?.message).toBe(`got header Bearer ${REDACTED} from client`);
  });

  it('removes values of keys named like token, secret, deploymentKey or fingerprint, at any depth', async () => {
    const { logger, lines, records } = capture();
    logger.info('body', {
      token: 'opaque-service-token',
      body: { deploymentKey: 'anything-at-all', DeploymentKey: 'x', clientSecret: 's3cr3t-value', fingerprint: 'raw-fingerprint-value' },
      fingerprintBound: true,
    });
    await flush();
    expectNoSecret(lines);
    expect(records()[0]).toMatchObject({
      token: REDACTED,
      body: { deploymentKey: REDACTED, DeploymentKey: REDACTED, clientSecret: REDACTED, fingerprint: REDACTED },
      // a flag about a secret is not the secret
      fingerprintBound: true,
    });
  });

  it('shortens deployment keys in free text to a recognisable prefix', async () => {
    const { logger, lines, records } = capture();
    logger.info(`unknown deployment key ${DEPLOYMENT_KEY} from origin`, { note: `key=${DEPLOYMENT_KEY}` });
    await flush();
    expectNoSecret(lines);
    expect(records()[0]?.message).toBe('unknown deployment key dk_live… from origin');
    expect(records()[0]?.note).toBe('key=dk_live…');
  });

  it('does not dump raw bytes', async () => {
    const { logger, lines } = capture();
    logger.info('bytes', { material: Buffer.from('s3cr3t-value') });
    await flush();
    expect(lines[0]).not.toMatch(/"0":115/);
    expect(JSON.parse(lines[0] ?? '{}').material).toBe('[binary 12 bytes]');
  });
});

describe('redact', () => {
  it('leaves ordinary values alone', () => {
    const value = { accountSid: 'AC0123', status: 200, ok: false, nothing: null, list: [1, 'two'] };
    expect(redact(value)).toEqual(value);
  });

  it('survives deep and circular structures', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    expect(() => JSON.stringify(redact(loop))).not.toThrow();
  });
});

describe('guest identities in log lines', () => {
  const IDENTITY = '6f1c2a44-93b1-4c59-9d8e-0b7f3f2a1c55';
  const keyA = Buffer.alloc(32, 1);
  const keyB = Buffer.alloc(32, 2);
  const logged = async (identityKey?: Buffer) => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const logger = createLogger({ service: 'scoped-auth', stream, ...(identityKey ? { identityKey } : {}) });
    logger.info('token validated', { identity: IDENTITY, guestIdentity: IDENTITY, nested: { sub: 'user-42@example.com' } });
    await flush();
    return { line: lines[0]!, record: JSON.parse(lines[0]!) as Record<string, any> };
  };

  it('when the service has a LOG_IDENTITY_KEY, then an identity is a short keyed hash: the same for the same guest, and another under another key', async () => {
    const first = await logged(keyA);
    const again = await logged(keyA);
    const otherKey = await logged(keyB);
    expect(first.record.identity).toMatch(/^id_[0-9a-f]{12}$/);
    expect(first.record.guestIdentity).toBe(first.record.identity);
    expect(again.record.identity).toBe(first.record.identity);
    expect(otherKey.record.identity).not.toBe(first.record.identity);
    expect(first.record.nested.sub).toMatch(/^id_[0-9a-f]{12}$/);
    expect(first.line).not.toContain(IDENTITY);
    expect(first.line).not.toContain('user-42');
  });

  it('when there is no key, then identities are not logged at all, not even hashed', async () => {
    const { line, record } = await logged();
    expect(record).toMatchObject({ identity: REDACTED, guestIdentity: REDACTED, nested: { sub: REDACTED } });
    expect(line).not.toContain(IDENTITY);
    expect(line).not.toMatch(/id_[0-9a-f]{12}/);
  });
});
