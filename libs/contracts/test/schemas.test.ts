import {
  AccountSid,
  AddressSid,
  ConversationSid,
  CreateFederatedTokenRequest,
  DeploymentKey,
  ERROR_CODES,
  ErrorCodeSchema,
  GenerateScopedTokenRequest,
  GRANTS_MAX_BYTES,
  MessageBody,
  Problem,
  RefreshTokenRequest,
  TokenResponse,
  ValidateScopedTokenRequest,
  ValidateScopedTokenResponse,
  WebchatTokenRequest,
} from '../src';

const HEX32 = '0123456789abcdef0123456789abcdef';
const ACCOUNT = `AC${HEX32}`;
const IDENTITY = '3b241101-e2bb-4255-8caf-4136c566a962';
const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('SIDs', () => {
  it.each([
    [AccountSid, 'AC'],
    [AddressSid, 'IG'],
    [ConversationSid, 'CH'],
  ])('%# accepts its prefix and 32 lowercase hex digits, nothing else', (schema, prefix) => {
    expect(ok(schema, `${prefix}${HEX32}`)).toBe(true);
    expect(ok(schema, `${prefix}${HEX32.toUpperCase()}`)).toBe(false);
    expect(ok(schema, `${prefix}${HEX32}0`)).toBe(false);
    expect(ok(schema, `${prefix}${HEX32.slice(1)}`)).toBe(false);
    expect(ok(schema, `XX${HEX32}`)).toBe(false);
    expect(ok(schema, ` ${prefix}${HEX32}`)).toBe(false);
  });
});

describe('DeploymentKey', () => {
  it('accepts an opaque URL-safe key of 16..128 characters', () => {
    expect(ok(DeploymentKey, 'dk_live_0123456789-AB')).toBe(true);
    expect(ok(DeploymentKey, 'a'.repeat(16))).toBe(true);
    expect(ok(DeploymentKey, 'a'.repeat(128))).toBe(true);
  });

  it.each([
    ['too short', 'a'.repeat(15)],
    ['too long', 'a'.repeat(129)],
    ['with a slash', 'dk_live/0123456789AB'],
    ['with a space', 'dk_live 0123456789AB'],
    ['with a quote', `dk_live'0123456789AB`],
  ])('refuses one %s', (_why, key) => {
    expect(ok(DeploymentKey, key)).toBe(false);
  });
});

describe('GenerateScopedTokenRequest', () => {
  const valid = { accountSid: ACCOUNT, grants: { webchat: { role: 'guest' } } };

  it('fills the defaults: ttl 3600, encrypt true', () => {
    expect(GenerateScopedTokenRequest.parse(valid)).toEqual({ ...valid, ttl: 3600, encrypt: true });
  });

  it('accepts ttl 60..86400 in whole seconds only', () => {
    expect(ok(GenerateScopedTokenRequest, { ...valid, ttl: 60 })).toBe(true);
    expect(ok(GenerateScopedTokenRequest, { ...valid, ttl: 86_400 })).toBe(true);
    for (const ttl of [59, 86_401, 120.5, '3600', -1]) expect(ok(GenerateScopedTokenRequest, { ...valid, ttl })).toBe(false);
  });

  it('accepts grants up to 8 KB and refuses more', () => {
    const grantsOfSize = (bytes: number) => {
      const overhead = JSON.stringify({ p: '' }).length;
      return { p: 'x'.repeat(bytes - overhead) };
    };
    expect(Buffer.byteLength(JSON.stringify(grantsOfSize(GRANTS_MAX_BYTES)))).toBe(8192);
    expect(ok(GenerateScopedTokenRequest, { ...valid, grants: grantsOfSize(GRANTS_MAX_BYTES) })).toBe(true);
    expect(ok(GenerateScopedTokenRequest, { ...valid, grants: grantsOfSize(GRANTS_MAX_BYTES + 1) })).toBe(false);
    // multi-byte characters count as bytes, not characters
    expect(ok(GenerateScopedTokenRequest, { ...valid, grants: { p: 'é'.repeat(4100) } })).toBe(false);
  });

  it('refuses grants that are not a JSON object', () => {
    for (const grants of [[], 'guest', null, 42]) expect(ok(GenerateScopedTokenRequest, { ...valid, grants })).toBe(false);
  });

  it('refuses extra fields, a bad SID, a fingerprint over 512 chars and an identity that is not a UUID', () => {
    expect(ok(GenerateScopedTokenRequest, { ...valid, admin: true })).toBe(false);
    expect(ok(GenerateScopedTokenRequest, { ...valid, accountSid: 'AC123' })).toBe(false);
    expect(ok(GenerateScopedTokenRequest, { ...valid, fingerprint: 'f'.repeat(512) })).toBe(true);
    expect(ok(GenerateScopedTokenRequest, { ...valid, fingerprint: 'f'.repeat(513) })).toBe(false);
    expect(ok(GenerateScopedTokenRequest, { ...valid, identity: IDENTITY })).toBe(true);
    expect(ok(GenerateScopedTokenRequest, { ...valid, identity: 'guest-1' })).toBe(false);
    expect(ok(GenerateScopedTokenRequest, { ...valid, encrypt: 'false' })).toBe(false);
  });
});

describe('other request and response shapes', () => {
  it('federated-auth request: every field optional, extras refused, addressSid checked', () => {
    expect(ok(CreateFederatedTokenRequest, {})).toBe(true);
    expect(ok(CreateFederatedTokenRequest, { addressSid: `IG${HEX32}`, ttl: 600, identity: IDENTITY, fingerprint: 'abc' })).toBe(true);
    expect(ok(CreateFederatedTokenRequest, { addressSid: `AC${HEX32}` })).toBe(false);
    expect(ok(CreateFederatedTokenRequest, { accountSid: ACCOUNT })).toBe(false);
  });

  it('webchat token request: a deployment key is required, extras refused', () => {
    expect(ok(WebchatTokenRequest, { deploymentKey: 'dk_live_0123456789AB' })).toBe(true);
    expect(ok(WebchatTokenRequest, {})).toBe(false);
    expect(ok(WebchatTokenRequest, { deploymentKey: 'dk_live_0123456789AB', accountSid: ACCOUNT })).toBe(false);
    expect(ok(WebchatTokenRequest, { deploymentKey: 'dk_live_0123456789AB', customerFriendlyName: '   ' })).toBe(false);
  });

  it('refresh and validate requests bound the token size', () => {
    expect(ok(RefreshTokenRequest, { deploymentKey: 'dk_live_0123456789AB', token: 'x'.repeat(16 * 1024) })).toBe(true);
    expect(ok(RefreshTokenRequest, { deploymentKey: 'dk_live_0123456789AB', token: 'x'.repeat(16 * 1024 + 1) })).toBe(false);
    expect(ok(ValidateScopedTokenRequest, { token: '' })).toBe(false);
  });

  it('token response: token, UUID identity and an ISO date with offset; nothing else', () => {
    const response = { token: 'a.b.c', identity: IDENTITY, expiresAt: '2030-01-01T00:00:00.000Z' };
    expect(ok(TokenResponse, response)).toBe(true);
    expect(ok(TokenResponse, { ...response, expiresAt: '2030-01-01 00:00' })).toBe(false);
    expect(ok(TokenResponse, { ...response, expiresAt: 1_893_456_000 })).toBe(false);
    expect(ok(TokenResponse, { ...response, debug: true })).toBe(false);
  });

  it('validate response: all fields required', () => {
    const response = { accountSid: ACCOUNT, identity: IDENTITY, grants: {}, expiresAt: '2030-01-01T00:00:00Z', sessionStartedAt: 1_800_000_000, fingerprintBound: false };
    expect(ok(ValidateScopedTokenResponse, response)).toBe(true);
    const { fingerprintBound: _dropped, ...missing } = response;
    expect(ok(ValidateScopedTokenResponse, missing)).toBe(false);
  });

  it('message bodies are trimmed and must not be empty or over 4 KB', () => {
    expect(MessageBody.parse('  hi  ')).toBe('hi');
    expect(ok(MessageBody, '   ')).toBe(false);
    expect(ok(MessageBody, 'x'.repeat(4097))).toBe(false);
  });
});

describe('problems and error codes', () => {
  it('every code is snake_case with a 4xx/5xx status and a title', () => {
    for (const [code, { status, title }] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
      expect(title.length).toBeGreaterThan(0);
    }
  });

  it('the codes the issue names exist with their statuses', () => {
    expect(ERROR_CODES).toMatchObject({
      service_token_invalid: { status: 401 },
      caller_not_allowed: { status: 403 },
      token_expired: { status: 401 },
      fingerprint_mismatch: { status: 401 },
      fingerprint_required: { status: 401 },
      upstream_error: { status: 502 },
      upstream_unavailable: { status: 503 },
      upstream_timeout: { status: 504 },
    });
  });

  it('a problem needs type, title, status, detail, a known code and the request id', () => {
    const problem = { type: 'https://docs.webchat.example/problems/not_found', title: 'Not found', status: 404, detail: 'No route', code: 'not_found', requestId: 'r-1' };
    expect(ok(Problem, problem)).toBe(true);
    expect(ok(Problem, { ...problem, errors: [{ field: 'ttl', message: 'too small' }] })).toBe(true);
    expect(ok(Problem, { ...problem, code: 'made_up' })).toBe(false);
    expect(ok(Problem, { ...problem, status: 200 })).toBe(false);
    const { requestId: _dropped, ...noId } = problem;
    expect(ok(Problem, noId)).toBe(false);
    expect(ok(ErrorCodeSchema, 'upstream_timeout')).toBe(true);
  });
});
