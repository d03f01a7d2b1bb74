import { ServiceIdentities } from '@webchat/test-harness';
import { ACCOUNT_SID } from '@webchat/test-harness';
import type { RequestOptions } from '@webchat/test-harness';
import { startFakeUpstream, startFederatedAuth, type FakeUpstream, type FederatedAuthUnderTest } from '@webchat/test-harness';

interface Case {
  name: string;
  sid?: string;
  options: RequestOptions;
  status: number;
  code: string;
  field?: string;
}

const cases: Case[] = [
  { name: 'a lower-case prefix in the path SID', sid: ACCOUNT_SID.replace('AC', 'ac'), options: { json: {} }, status: 400, code: 'invalid_request', field: 'accountSid' },
  { name: 'a short path SID', sid: 'AC123', options: { json: {} }, status: 400, code: 'invalid_request', field: 'accountSid' },
  { name: 'a path SID with an injected segment', sid: `${ACCOUNT_SID}%2F..`, options: { json: {} }, status: 400, code: 'invalid_request', field: 'accountSid' },
  { name: 'grants smuggled in by the caller', options: { json: { grants: { webchat: { role: 'agent' } } } }, status: 400, code: 'invalid_request' },
  { name: 'an unknown field', options: { json: { encrypt: false } }, status: 400, code: 'invalid_request' },
  { name: 'an empty fingerprint', options: { json: { fingerprint: '' } }, status: 400, code: 'invalid_request', field: 'fingerprint' },
  { name: 'a fingerprint over 512 chars', options: { json: { fingerprint: 'f'.repeat(513) } }, status: 400, code: 'invalid_request', field: 'fingerprint' },
  { name: 'a numeric fingerprint', options: { json: { fingerprint: 12345 } }, status: 400, code: 'invalid_request', field: 'fingerprint' },
  { name: 'a bad address SID', options: { json: { addressSid: `IG${'Z'.repeat(32)}` } }, status: 400, code: 'invalid_request', field: 'addressSid' },
  { name: 'ttl below 60', options: { json: { ttl: 10 } }, status: 400, code: 'invalid_request', field: 'ttl' },
  { name: 'ttl above 86400', options: { json: { ttl: 100_000 } }, status: 400, code: 'invalid_request', field: 'ttl' },
  { name: 'ttl as a string', options: { json: { ttl: '600' } }, status: 400, code: 'invalid_request', field: 'ttl' },
  { name: 'an identity that is not a UUID', options: { json: { identity: '../../etc' } }, status: 400, code: 'invalid_request', field: 'identity' },
  { name: 'a session start as a string', options: { json: { sessionStartedAt: 'yesterday' } }, status: 400, code: 'invalid_request', field: 'sessionStartedAt' },
  { name: 'a JSON array', options: { json: [] }, status: 400, code: 'invalid_request' },
  { name: 'malformed JSON', options: { raw: '{"fingerprint":' }, status: 400, code: 'malformed_json' },
  { name: 'text/plain', options: { raw: '{}', contentType: 'text/plain' }, status: 415, code: 'unsupported_media_type' },
  { name: 'a form', options: { raw: 'fingerprint=x', contentType: 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
  { name: 'a body over 32 KB', options: { json: { fingerprint: 'x'.repeat(40 * 1024) } }, status: 413, code: 'payload_too_large' },
];

describe('federated-auth refuses bad requests with a problem, never a 500, and never calls scoped-auth', () => {
  const services = new ServiceIdentities();
  let upstream: FakeUpstream;
  let fas: FederatedAuthUnderTest;

  beforeAll(async () => {
    upstream = await startFakeUpstream((_req, res) => res.writeHead(500).end());
    fas = await startFederatedAuth({ services, scopedAuthUrl: upstream.url });
  });
  afterAll(async () => {
    await fas.close();
    await upstream.close();
  });

  test.each(cases)('when the request has $name, then $status $code', async ({ sid, options, status, code, field }) => {
    const res = await fas.issue(sid ?? ACCOUNT_SID, undefined, options);
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code, requestId: expect.any(String) });
    if (field) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(upstream.hits).toBe(0);
  });
});
