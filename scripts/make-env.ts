/**
 * Writes the git-ignored `.env` that docker-compose.yml reads every secret and key from, with fresh
 * keys, and renders the demo page (with the demo deployment key) that the compose demo site serves.
 *
 *   pnpm tsx scripts/make-env.ts && docker compose up --build
 *
 * An existing `.env` is kept (the Postgres volume was initialised with its password); `--force`
 * replaces it (then also `docker compose down -v`, or the old database refuses the new password).
 *
 * Options: --out FILE (default .env), --demo-dir DIR (default deploy/compose/demo),
 *          --base-url URL (where browsers reach Starship; default http://localhost:8080), --force.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatEnvFile, parseEnvFile, type EnvEntry } from '../libs/deploy-checks/src/env-file';
import { generateServiceKeyPair } from '../libs/service-auth/src/keys';
import { generateDeploymentKey } from '../services/orchestrator/src/data-access/deployment-key';
import { DEMO_ORIGIN } from '../services/orchestrator/src/cli/seed-demo';
import { generateEncryptionSecret, generateSigningKeyPem } from '../services/scoped-auth/src/domain/key-material';
import { writeDemoSite } from '../services/starship/src/demo';

const REPO_ROOT = resolve(__dirname, '..');

/** The services that sign service tokens (the callers); scoped-auth only verifies them. */
export const SERVICE_TOKEN_CALLERS = ['orchestrator', 'federated-auth'] as const;

const envPrefix = (service: string) => service.toUpperCase().replace(/-/g, '_');

/** A kid that says when the key was made, so a later rotation's keys sort after it. */
const freshKid = (now: Date) => `k${now.toISOString().slice(0, 10).replace(/-/g, '')}`;

export function generateComposeEnv(now = new Date(), launchDarklySdkKey = ''): EnvEntry[] {
  const kid = freshKid(now);
  const entries: EnvEntry[] = [
    { name: 'POSTGRES_PASSWORD', value: randomBytes(24).toString('hex'), comment: 'Password of the compose Postgres (also in DATABASE_URL). Set when its volume is first created.' },
    { name: 'FINGERPRINT_SECRET', value: randomBytes(32).toString('base64url'), comment: "orchestrator: HMAC key of the guests' fingerprints." },
    { name: 'IDENTITY_SECRETS_KEY', value: randomBytes(32).toString('base64url'), comment: "orchestrator and its CLI: AES-256-GCM key the accounts' identity secrets are stored under." },
  ];
  for (const service of SERVICE_TOKEN_CALLERS) {
    const { privateKeyPem, publicKeyPem } = generateServiceKeyPair();
    const prefix = envPrefix(service);
    entries.push(
      { name: `${prefix}_SERVICE_AUTH_PRIVATE_KEY`, value: privateKeyPem, comment: `${service}: ES256 private key of its service tokens (PEM).` },
      { name: `${prefix}_SERVICE_AUTH_PUBLIC_KEY`, value: publicKeyPem, comment: `${service}: its public key, mounted as ${service}.pub.pem where callees verify.` },
    );
  }
  entries.push(
    {
      name: 'SCOPED_AUTH_TOKEN_SIGNING_KEYS',
      value: JSON.stringify({ [kid]: generateSigningKeyPem() }),
      comment: 'scoped-auth: ES256 keys of guest tokens, {"<kid>": "<PEM>"}. Several during a rotation (then set TOKEN_SIGNING_ACTIVE_KID).',
    },
    {
      name: 'SCOPED_AUTH_TOKEN_ENCRYPTION_KEYS',
      value: JSON.stringify({ [kid]: generateEncryptionSecret() }),
      comment: 'scoped-auth: A256GCM keys of the token JWE, {"<kid>": "<32 random bytes, base64url>"}.',
    },
    { name: 'DEMO_DEPLOYMENT_KEY', value: generateDeploymentKey(), comment: 'The demo account\'s deployment key (seed-demo registers it; the demo page embeds it).' },
    { name: 'LAUNCHDARKLY_SDK_KEY', value: launchDarklySdkKey, comment: 'Optional. Empty: the flags file in the orchestrator image decides (offline).' },
    { name: 'LOG_LEVEL', value: 'info', comment: 'Log level of the three services.' },
  );
  return entries;
}

export interface MakeEnvOptions {
  out: string;
  demoDir: string;
  baseUrl: string;
  force?: boolean;
  launchDarklySdkKey?: string;
}

export interface MakeEnvResult {
  created: boolean;
  values: Map<string, string>;
  demoPage: string;
}

export function makeEnv(options: MakeEnvOptions): MakeEnvResult {
  let created = false;
  if (options.force || !existsSync(options.out)) {
    const header = `Secrets and keys for docker-compose.yml, made by scripts/make-env.ts on ${new Date().toISOString()}.\nNever commit this file (it is git-ignored); .env.example documents each variable.`;
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, formatEnvFile(generateComposeEnv(new Date(), options.launchDarklySdkKey ?? ''), header), { mode: 0o600 });
    created = true;
  }
  const values = parseEnvFile(readFileSync(options.out, 'utf8'));
  const deploymentKey = values.get('DEMO_DEPLOYMENT_KEY');
  if (!deploymentKey) throw new Error(`${options.out} has no DEMO_DEPLOYMENT_KEY; run with --force to make a new one`);
  const demoPage = writeDemoSite(options.demoDir, { deploymentKey, baseUrl: options.baseUrl, allowedOrigins: [DEMO_ORIGIN] });
  return { created, values, demoPage };
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: resolve(REPO_ROOT, '.env') },
      'demo-dir': { type: 'string', default: resolve(REPO_ROOT, 'deploy/compose/demo') },
      'base-url': { type: 'string', default: 'http://localhost:8080' },
      force: { type: 'boolean', default: false },
    },
  });
  const result = makeEnv({
    out: resolve(values.out),
    demoDir: resolve(values['demo-dir']),
    baseUrl: values['base-url'],
    force: values.force,
    launchDarklySdkKey: process.env.LAUNCHDARKLY_SDK_KEY ?? '',
  });
  process.stdout.write(
    result.created
      ? `wrote ${values.out} with fresh keys (git-ignored; keep it private)\n`
      : `kept the existing ${values.out} (--force makes new keys; then docker compose down -v as well)\n`,
  );
  process.stdout.write(`rendered the demo page ${result.demoPage}\nnext: docker compose up --build, then open ${DEMO_ORIGIN}\n`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`make-env: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
