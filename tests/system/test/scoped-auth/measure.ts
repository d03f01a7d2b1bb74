/**
 * Rough throughput of minting and validating, printed, never asserted:
 *   pnpm exec tsx tests/system/test/scoped-auth/measure.ts
 * Single process, one core; domain level (no HTTP), then end to end over HTTP with 16 callers in flight
 * (the callers share the process, so HTTP figures understate what a pod would do).
 */
import http from 'node:http';
import { SCOPED_AUTH_GENERATE_PATH, SCOPED_AUTH_VALIDATE_PATH } from '@webchat/contracts';
import { createTokenKeys } from '@webchat/scoped-auth/src/domain/keys';
import { TokenService, type MintInput } from '@webchat/scoped-auth/src/domain/token-service';
import { ServiceIdentities, keyMaterial } from '@webchat/test-harness';
import { ACCOUNT_SID, TEST_TOKEN_SETTINGS, startScopedAuth } from '@webchat/test-harness';

const SECONDS = Number(process.env.MEASURE_SECONDS ?? 2);

async function rate(label: string, op: () => unknown): Promise<number> {
  for (let i = 0; i < 200; i++) await op(); // warm-up
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    await op();
    n++;
  }
  const perSecond = Math.round(n / SECONDS);
  console.log(`${label.padEnd(44)} ${String(perSecond).padStart(7)} /s`);
  return perSecond;
}

/** Keep-alive node:http like the InternalClient (fetch/undici costs about half the throughput here). */
function post(agent: http.Agent, url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function httpRate(label: string, call: () => Promise<number>, concurrency = 16): Promise<void> {
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const status = await call();
        if (status !== 200) throw new Error(`${label}: ${status}`);
        n++;
      }
    }),
  );
  console.log(`${label.padEnd(44)} ${String(Math.round(n / SECONDS)).padStart(7)} /s`);
}

async function main(): Promise<void> {
  const material = keyMaterial();
  const tokens = new TokenService(await createTokenKeys(material), TEST_TOKEN_SETTINGS);
  const grants = { webchat: { role: 'guest', accountSid: ACCOUNT_SID } };
  const input = (encrypt: boolean): MintInput => ({ accountSid: ACCOUNT_SID, grants, ttl: 3600, encrypt, fingerprint: 'fp' });
  const plain = (await tokens.mint(input(false))).token;
  const encrypted = (await tokens.mint(input(true))).token;

  console.log(`node ${process.version}, ${SECONDS}s per figure`);
  await rate('domain: mint, plain JWS (ES256 sign)', () => tokens.mint(input(false)));
  await rate('domain: mint, JWS + JWE (sign + encrypt)', () => tokens.mint(input(true)));
  await rate('domain: validate, plain JWS', () => tokens.validate(plain, { fingerprints: ['fp'] }));
  await rate('domain: validate, JWE (decrypt + verify)', () => tokens.validate(encrypted, { fingerprints: ['fp'] }));

  const services = new ServiceIdentities();
  const sas = await startScopedAuth({ services, material });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const headers = (caller: 'federated-auth' | 'orchestrator') => ({ 'content-type': 'application/json', authorization: `Bearer ${services.token(caller, 'scoped-auth')}` });
  const generateHeaders = headers('federated-auth');
  const validateHeaders = headers('orchestrator');
  const generate = (encrypt: boolean) => JSON.stringify({ accountSid: ACCOUNT_SID, grants, fingerprint: 'fp', encrypt });
  await httpRate('http: generate, plain JWS', () => post(agent, `${sas.url}${SCOPED_AUTH_GENERATE_PATH}`, generateHeaders, generate(false)));
  await httpRate('http: generate, encrypted', () => post(agent, `${sas.url}${SCOPED_AUTH_GENERATE_PATH}`, generateHeaders, generate(true)));
  const validate = (token: string) => JSON.stringify({ token, fingerprint: 'fp' });
  await httpRate('http: validate, plain JWS', () => post(agent, `${sas.url}${SCOPED_AUTH_VALIDATE_PATH}`, validateHeaders, validate(plain)));
  await httpRate('http: validate, encrypted', () => post(agent, `${sas.url}${SCOPED_AUTH_VALIDATE_PATH}`, validateHeaders, validate(encrypted)));
  agent.destroy();
  await sas.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
