/**
 * Our plumbing doing no work: the token path's shape, measured against the reference chains (issue 17). Started three times, as the three
 * hops of the real chain (ECHO_ROLE = orchestrator, federated-auth, scoped-auth), each on the project's
 * own stack: createServiceApp (request id, metrics, access log, body parsing, problem serializer), the
 * route layer with the real route declarations (caller check through ServiceTokenVerifier, params, body
 * and response checked), and InternalClient + ServiceTokenSigner to
 * call the next hop, on the same paths and with the same response contract as the real services. The
 * last hop answers a canned token-sized body. Run as `node --import tsx scripts/bench/echo-service.ts`.
 */
import { readFileSync } from 'node:fs';
import {
  SCOPED_AUTH_GENERATE_PATH, TokenResponse, createAccountTokenRoute, createWebchatTokenRoute, federatedTokensPath, generateScopedTokenRoute, type RouteSpec,
} from '@webchat/contracts';
import { createServiceApp, exitOnSignals, listen } from '@webchat/http-kit';
import { InternalClient } from '@webchat/internal-client';
import { createLogger } from '@webchat/logger';
import { ServiceTokenSigner, ServiceTokenVerifier, loadPublicKeys, parsePrivateKey, privateKeyFile } from '@webchat/service-auth';

const ROLES = ['orchestrator', 'federated-auth', 'scoped-auth'] as const;
type Role = (typeof ROLES)[number];

/** Each hop accepts only the hop before it, as the real callees do. */
const CALLER_OF: Record<Role, Role | undefined> = { orchestrator: undefined, 'federated-auth': 'orchestrator', 'scoped-auth': 'federated-auth' };
const NEXT_OF: Record<Role, Role | undefined> = { orchestrator: 'federated-auth', 'federated-auth': 'scoped-auth', 'scoped-auth': undefined };
/** The route each hop serves: the real declaration, so the path (nginx's location) and the checks are the real ones. */
const ROUTE_OF: Record<Role, RouteSpec> = { orchestrator: createWebchatTokenRoute, 'federated-auth': createAccountTokenRoute, 'scoped-auth': generateScopedTokenRoute };

interface EchoEnv {
  role: Role;
  host: string;
  port: number;
  logLevel: string;
  /** Base URL of the next hop (not for the last one). */
  nextUrl: string | undefined;
  /** The development service keys (<service>.key.pem / .pub.pem). */
  keysDir: string;
  /** Length of the canned token, about a real encrypted guest token's. */
  tokenLength: number;
  /** The call's deadline, as the real services' 3 s (ECHO_TIMEOUT_MS: longer for a hop run under a slow tool). */
  timeoutMs: number;
}

function readEnv(env: NodeJS.ProcessEnv): EchoEnv {
  const role = env.ECHO_ROLE as Role;
  const port = Number(env.PORT);
  const tokenLength = Number(env.ECHO_TOKEN_LENGTH || 900);
  const problems = [
    ...(ROLES.includes(role) ? [] : [`ECHO_ROLE must be one of ${ROLES.join(', ')}`]),
    ...(Number.isInteger(port) && port > 0 && port < 65536 ? [] : ['PORT must be a port']),
    ...(env.SERVICE_KEYS_DIR ? [] : ['SERVICE_KEYS_DIR is required']),
    ...(NEXT_OF[role] === undefined || env.ECHO_NEXT_URL ? [] : ['ECHO_NEXT_URL is required for every hop but the last']),
    ...(Number.isInteger(tokenLength) && tokenLength > 0 ? [] : ['ECHO_TOKEN_LENGTH must be a positive integer']),
  ];
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    role,
    host: env.HOST || '127.0.0.1',
    port,
    logLevel: env.LOG_LEVEL || 'warn',
    nextUrl: env.ECHO_NEXT_URL,
    keysDir: env.SERVICE_KEYS_DIR!,
    tokenLength,
    timeoutMs: Number(env.ECHO_TIMEOUT_MS || 3000),
  };
}

const BENCH_ACCOUNT_SID = `AC${'e'.repeat(32)}`;
const BENCH_GRANTS = { webchat: { role: 'guest', accountSid: BENCH_ACCOUNT_SID } };

async function main(): Promise<void> {
  const env = readEnv(process.env);
  const { role } = env;
  const service = `echo-${role}`;
  const logger = createLogger({ service, level: env.logLevel });
  const caller = CALLER_OF[role];
  const next = NEXT_OF[role];
  const route = ROUTE_OF[role];
  const signer = next && new ServiceTokenSigner({ issuer: role, privateKey: parsePrivateKey(readFileSync(privateKeyFile(env.keysDir, role), 'utf8')) });
  const client = next && signer && new InternalClient({ service: next, baseUrl: env.nextUrl!, signer, timeoutMs: env.timeoutMs });
  // The last hop: a fixed answer with the contract's shape and a real token's size.
  const canned = { token: 'x'.repeat(env.tokenLength), identity: '00000000-0000-4000-8000-000000000000', expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
  const { app, lifecycle } = createServiceApp(
    {
      service,
      logger,
      body: { limit: '32kb' },
      // The real services' route layer: declared route, caller check, params/body and response checked as in production.
      api: { info: { title: service, version: '0' }, routes: [route] },
      contractViolations: 'report',
      ...(caller ? { verifier: verifierFor(role, env.keysDir) } : {}),
    },
    (_app, routes) => {
      // All three answer 200 with a TokenResponse: typed as one of them.
      routes.mount(route as typeof createAccountTokenRoute, async () => {
        if (!client) return canned;
        // What the real caller sends: nothing on the flag-off path to federated-auth; an account and grants to scoped-auth.
        const body = next === 'federated-auth' ? {} : { accountSid: BENCH_ACCOUNT_SID, grants: BENCH_GRANTS };
        return client.post(next === 'federated-auth' ? federatedTokensPath(BENCH_ACCOUNT_SID) : SCOPED_AUTH_GENERATE_PATH, body, TokenResponse);
      });
    },
  );
  const running = await listen({ app, port: env.port, host: env.host, lifecycle });
  logger.info('listening', { url: running.url });
  exitOnSignals(running, logger);
}

function verifierFor(role: Role, keysDir: string): ServiceTokenVerifier {
  const caller = CALLER_OF[role];
  const publicKeys = loadPublicKeys(keysDir, caller ? [caller] : []);
  return new ServiceTokenVerifier({ audience: role, publicKeys });
}

main().catch((err: unknown) => {
  process.stderr.write(`echo service failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
