import { randomBytes, randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createLogger } from '@webchat/logger';
import { createIdentitySecretRepository, IdentitySecretSealer } from '../src/data-access/identity-secrets';
import type { Database } from '../src/data-access/pool';
import { useCliFixture } from './support/cli';

const identitySecretsKey = randomBytes(32).toString('base64url');
const fixture = useCliFixture('security', { identitySecretsKey });
const { cli } = fixture;
let db: Database;

beforeAll(() => {
  ({ db } = fixture);
});

async function newAccount(): Promise<string> {
  const created = await cli(['accounts', 'create', '--name', 'Security Inc', '--json']);
  expect(created.code).toBe(0);
  return (JSON.parse(created.stdout) as { accountSid: string }).accountSid;
}

describe('webchat-admin and the security rules of issue 12', () => {
  test('when a key is issued for an account with no allowed origins, then a warning says every website can use it; with origins, no warning', async () => {
    const open = await newAccount();
    const issued = await cli(['keys', 'issue', open]);
    expect(issued.code).toBe(0);
    expect(issued.stdout).toMatch(/^dk_/);
    expect(issued.stderr).toContain('every website can use this key');

    const limited = await newAccount();
    expect((await cli(['config', 'set', limited, '--origins', 'https://shop.example.com'])).code).toBe(0);
    const quiet = await cli(['keys', 'issue', limited]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('every website');
  });

  test('identity-secret rotate prints a new secret once, stores it sealed (never in clear), and keeps the previous one until it is retired', async () => {
    const accountSid = await newAccount();
    const first = await cli(['identity-secret', 'rotate', accountSid]);
    expect(first.code).toBe(0);
    const secret = first.stdout.trim();
    expect(secret).toMatch(/^is_[A-Za-z0-9_-]{43}$/);
    expect(first.stderr).toContain('shown once');

    const { rows } = await db.query<{ row: string }>('SELECT row_to_json(s)::text AS row FROM account_identity_secrets s WHERE account_sid = $1', [accountSid]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.row).not.toContain(secret);
    expect(rows[0]!.row).not.toContain(Buffer.from(secret).toString('hex'));

    const second = await cli(['identity-secret', 'rotate', accountSid]);
    const next = second.stdout.trim();
    expect(next).not.toBe(secret);
    expect(second.stderr).toContain('previous secret stays valid');
    const sealer = new IdentitySecretSealer(identitySecretsKey);
    const stored = await createIdentitySecretRepository(db).find(accountSid);
    expect([sealer.open(accountSid, stored!.current), stored!.previous && sealer.open(accountSid, stored!.previous)]).toEqual([next, secret]);
    // Sealed for this account only: the same box does not open under another account SID.
    expect(() => sealer.open(`AC${'0'.repeat(32)}`, stored!.current)).toThrow();

    expect((await cli(['identity-secret', 'retire-previous', accountSid])).code).toBe(0);
    expect((await createIdentitySecretRepository(db).find(accountSid))!.previous).toBeNull();
  });

  test('when IDENTITY_SECRETS_KEY is not configured (production), then identity-secret commands stop with exit 2 naming it', async () => {
    const accountSid = await newAccount();
    const refused = await cli(['identity-secret', 'rotate', accountSid], { identitySecretsKey: null });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('IDENTITY_SECRETS_KEY');
  });

  test('when the account does not exist, then rotate exits 1 and stores nothing', async () => {
    const missing = await cli(['identity-secret', 'rotate', `AC${'f'.repeat(32)}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
  });
});

describe('webchat-admin logs identity-ref: finding a guest in the logs', () => {
  const logIdentityKey = randomBytes(32).toString('base64url');

  /** What a service with this LOG_IDENTITY_KEY writes for the identity, read back from its log line. */
  async function loggedAs(identity: string): Promise<string> {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    createLogger({ service: 'scoped-auth', stream, identityKey: Buffer.from(logIdentityKey, 'base64url') }).info('token validated', { identity });
    await new Promise((resolve) => setImmediate(resolve));
    return (JSON.parse(lines[0]!) as { identity: string }).identity;
  }

  test("when given a guest's identity and the services' key, then it prints exactly the ref their log lines carry", async () => {
    const identity = randomUUID();
    const printed = await cli(['logs', 'identity-ref', identity.toUpperCase()], { logIdentityKey });
    expect(printed.code).toBe(0);
    expect(printed.stdout.trim()).toBe(await loggedAs(identity));
    expect(printed.stdout).not.toContain(identity);
  });

  test('when LOG_IDENTITY_KEY is not configured (production), then it stops with exit 2 naming it; a malformed identity is exit 2 too', async () => {
    const refused = await cli(['logs', 'identity-ref', randomUUID()], { logIdentityKey: null });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('LOG_IDENTITY_KEY');
    const malformed = await cli(['logs', 'identity-ref', 'not-a-uuid'], { logIdentityKey });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('UUID');
  });
});
