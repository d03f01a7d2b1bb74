import { SCOPED_AUTH_GENERATE_PATH, SCOPED_AUTH_VALIDATE_PATH } from '@webchat/contracts';
import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID, startScopedAuth, type ScopedAuthUnderTest } from '@webchat/test-harness';
import { request, type RequestOptions } from '@webchat/test-harness';

const grants = { webchat: { role: 'guest', accountSid: ACCOUNT_SID } };
const valid = { accountSid: ACCOUNT_SID, grants };

type Row = [name: string, options: RequestOptions, status: number, code: string, field?: string];
interface Case {
  name: string;
  options: RequestOptions;
  status: number;
  code: string;
  field: string | undefined;
}
// Object rows: with array rows of uneven length jest would take the missing last argument for a `done` callback.
const cases = (rows: Row[]): Case[] => rows.map(([name, options, status, code, field]) => ({ name, options, status, code, field }));

const generateCases = cases([
  ['missing accountSid', { json: { grants } }, 400, 'invalid_request', 'accountSid'],
  ['missing grants', { json: { accountSid: ACCOUNT_SID } }, 400, 'invalid_request', 'grants'],
  ['an unknown field', { json: { ...valid, admin: true } }, 400, 'invalid_request'],
  ['an upper-case account SID', { json: { ...valid, accountSid: ACCOUNT_SID.toUpperCase() } }, 400, 'invalid_request', 'accountSid'],
  ['a short account SID', { json: { ...valid, accountSid: 'AC123' } }, 400, 'invalid_request', 'accountSid'],
  ['an address SID as account SID', { json: { ...valid, accountSid: `IG${'0'.repeat(32)}` } }, 400, 'invalid_request', 'accountSid'],
  ['grants as an array', { json: { ...valid, grants: [1, 2] } }, 400, 'invalid_request', 'grants'],
  ['grants as a string', { json: { ...valid, grants: 'all' } }, 400, 'invalid_request', 'grants'],
  ['grants over 8 KB', { json: { ...valid, grants: { blob: 'x'.repeat(8 * 1024) } } }, 400, 'invalid_request', 'grants'],
  ['ttl below 60', { json: { ...valid, ttl: 59 } }, 400, 'invalid_request', 'ttl'],
  ['ttl above 86400', { json: { ...valid, ttl: 86_401 } }, 400, 'invalid_request', 'ttl'],
  ['a fractional ttl', { json: { ...valid, ttl: 600.5 } }, 400, 'invalid_request', 'ttl'],
  ['ttl as a string', { json: { ...valid, ttl: '3600' } }, 400, 'invalid_request', 'ttl'],
  ['encrypt as a string', { json: { ...valid, encrypt: 'yes' } }, 400, 'invalid_request', 'encrypt'],
  ['an empty fingerprint', { json: { ...valid, fingerprint: '' } }, 400, 'invalid_request', 'fingerprint'],
  ['a fingerprint over 512 chars', { json: { ...valid, fingerprint: 'f'.repeat(513) } }, 400, 'invalid_request', 'fingerprint'],
  ['an identity that is not a UUID', { json: { ...valid, identity: 'admin' } }, 400, 'invalid_request', 'identity'],
  ['a negative session start', { json: { ...valid, sessionStartedAt: -1 } }, 400, 'invalid_request', 'sessionStartedAt'],
  ['a JSON array body', { json: [valid] }, 400, 'invalid_request'],
  ['no body at all', { method: 'POST' }, 400, 'invalid_request'],
  ['malformed JSON', { raw: '{"accountSid": ' }, 400, 'malformed_json'],
  ['a JSON null', { raw: 'null' }, 400, 'malformed_json'],
  ['text/plain', { raw: JSON.stringify(valid), contentType: 'text/plain' }, 415, 'unsupported_media_type'],
  ['a form', { raw: `accountSid=${ACCOUNT_SID}`, contentType: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
  ['a body over 32 KB', { json: { ...valid, grants: { blob: 'x'.repeat(40 * 1024) } } }, 413, 'payload_too_large'],
]);

const validateCases = cases([
  ['missing token', { json: {} }, 400, 'invalid_request', 'token'],
  ['an empty token', { json: { token: '' } }, 400, 'invalid_request', 'token'],
  ['a token over 16 KB', { json: { token: 'a'.repeat(16 * 1024 + 1) } }, 400, 'invalid_request', 'token'],
  ['a numeric fingerprint', { json: { token: 'a.b.c', fingerprint: 42 } }, 400, 'invalid_request', 'fingerprint'],
  ['an empty candidate list', { json: { token: 'a.b.c', fingerprintCandidates: [] } }, 400, 'invalid_request', 'fingerprintCandidates'],
  ['an unknown field', { json: { token: 'a.b.c', alg: 'none' } }, 400, 'invalid_request'],
  ['malformed JSON', { raw: '{token' }, 400, 'malformed_json'],
  ['text/plain', { raw: 'a.b.c', contentType: 'text/plain' }, 415, 'unsupported_media_type'],
]);

describe('scoped-auth refuses bad bodies with a problem, never a 500', () => {
  const services = new ServiceIdentities();
  let sas: ScopedAuthUnderTest;

  beforeAll(async () => {
    sas = await startScopedAuth({ services });
  });
  afterAll(() => sas.close());

  describe.each([
    ['generate', SCOPED_AUTH_GENERATE_PATH, 'federated-auth' as const, generateCases],
    ['validate', SCOPED_AUTH_VALIDATE_PATH, 'orchestrator' as const, validateCases],
  ])('%s', (_name, path, caller, rows) => {
    test.each(rows)('when the body has $name, then $status $code', async ({ options, status, code, field }) => {
      const res = await request(`${sas.url}${path}`, { ...options, token: services.token(caller, 'scoped-auth') });
      expect(res.status).toBe(status);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status, code, type: expect.stringContaining(code), requestId: expect.any(String) });
      if (field) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });
  });

  test('when the path does not exist, then 404 not_found as a problem', async () => {
    const res = await request(`${sas.url}/v1/ScopedAuthTokens/revoke/internal`, { json: {} });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});
