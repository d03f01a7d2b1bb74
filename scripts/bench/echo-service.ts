/**
 * The benchmark's ceiling: the token path's shape doing no work. Started three times, as the three
 * hops of the real chain (ECHO_ROLE = orchestrator, federated-auth, scoped-auth), each on the project's
 * own stack: createServiceApp (request id, metrics, access log, body parsing, problem serializer),
 * ServiceTokenVerifier + requireCaller on the internal hops, and InternalClient + ServiceTokenSigner to
 * call the next hop, on the same paths and with the same response contract as the real services. The
 * last hop answers a canned token-sized body. Run as `node --import tsx scripts/bench/echo-service.ts`.
 */
import { readFileSync } from 'node:fs';
import { FEDERATED_TOKENS_ROUTE, SCOPED_AUTH_GENERATE_PATH, TokenResponse, WEBCHAT_TOKEN_PATH, federatedTokensPath } from '@webchat/contracts';
import { createServiceApp, exitOnSignals, listen, requireCaller } from '../../libs/http-kit/src';
import { InternalClient } from '../../libs/internal-client/src';
import { createLogger } from '../../libs/logger/src';
import { ServiceTokenSigner, ServiceTokenVerifier, loadPublicKeys, parsePrivateKey, privateKeyFile } from '../../libs/service-auth/src';

const ROLES = ['orchestrator', 'federated-auth', 'scoped-auth'] as const;
type Role = (typeof ROLES)[number];

/** Each hop accepts only the hop before it, as the real callees do. */
const CALLER_OF: Record<Role, Role | undefined> = { orchestrator: undefined, 'federated-auth': 'orchestrator', 'scoped-auth': 'federated-auth' };
const NEXT_OF: Record<Role, Role | undefined> = { orchestrator: 'federated-auth', 'federated-auth': 'scoped-auth', 'scoped-auth': undefined };
/** The path each hop serves: the real one, so nginx applies the same location (rate limit, logging). */
const PATH_OF: Record<Role, string> = { orchestrator: WEBCHAT_TOKEN_PATH, 'federated-auth': FEDERATED_TOKENS_ROUTE, 'scoped-auth': SCOPED_AUTH_GENERATE_PATH };

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
  };
}

const BENCH_ACCOUNT_SID = `AC${'e'.repeat(32)}`;

async function main(): Promise<void> {
  const env = readEnv(process.env);
  const { role } = env;
  const service = `echo-${role}`;
  const logger = createLogger({ service, level: env.logLevel });
  const caller = CALLER_OF[role];
  const next = NEXT_OF[role];
  const { app, lifecycle } = createServiceApp({ service, logger, body: { limit: '32kb' } }, (router) => {
    if (next === undefined) {
      // The last hop: a fixed answer with the contract's shape and a real token's size.
      const canned = {
        token: 'x'.repeat(env.tokenLength),
        identity: '00000000-0000-4000-8000-000000000000',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      };
      router.post(PATH_OF[role], requireCaller(verifierFor(role, env.keysDir), [caller!]), (_req, res) => {
        res.set('Cache-Control', 'no-store').json(canned);
      });
      return;
    }
    const signer = new ServiceTokenSigner({ issuer: role, privateKey: parsePrivateKey(readFileSync(privateKeyFile(env.keysDir, role), 'utf8')) });
    const client = new InternalClient({ service: next, baseUrl: env.nextUrl!, signer, timeoutMs: 3000 });
    const nextPath = next === 'federated-auth' ? federatedTokensPath(BENCH_ACCOUNT_SID) : SCOPED_AUTH_GENERATE_PATH;
    const guards = caller === undefined ? [] : [requireCaller(verifierFor(role, env.keysDir), [caller])];
    router.post(PATH_OF[role], ...guards, async (req, res) => {
      const answer = await client.post(nextPath, req.body ?? {}, TokenResponse);
      res.set('Cache-Control', 'no-store').json(answer);
    });
  });
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
