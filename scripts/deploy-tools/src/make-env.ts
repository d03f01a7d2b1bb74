/**
 * The compose environment: the git-ignored `.env` that docker-compose.yml reads every secret and key from,
 * made with fresh keys, and the public files the containers mount (the callers' public keys, the demo
 * deployment and agent keys, the demo page). The command line is scripts/make-env.ts.
 *
 * An existing `.env` is kept (the Postgres volume was initialised with its password) and only gets the
 * variables it lacks; `force` replaces it.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatEnvFile, parseEnvFile, type EnvEntry } from './env-file';
import { generateServiceKeyPair } from '@webchat/service-auth';
import { generateDeploymentKey } from '@webchat/orchestrator/src/data-access/deployment-key';
import { generateAgentKey } from '@webchat/orchestrator/src/data-access/agent-key';
import { DEMO_ORIGIN } from '@webchat/orchestrator/src/cli/seed-demo';
import { generateEncryptionSecret, generateSigningKeyPem } from '@webchat/scoped-auth/src/domain/key-material';
import { writeDemoSite } from '@webchat/starship/src/demo';

/** The services that sign service tokens (the callers); scoped-auth only verifies them. */
export const SERVICE_TOKEN_CALLERS = ['orchestrator', 'federated-auth'] as const;

const envPrefix = (service: string) => service.toUpperCase().replace(/-/g, '_');

/** A kid that says when the key was made, so a later rotation's keys sort after it. */
const freshKid = (now: Date) => `k${now.toISOString().slice(0, 10).replace(/-/g, '')}`;

export function generateComposeEnv(now = new Date(), launchDarklySdkKey = ''): EnvEntry[] {
  const kid = freshKid(now);
  const entries: EnvEntry[] = [
    { name: 'COMPOSE_PROJECT_NAME', value: 'webchat', comment: 'The Compose project: containers, networks and the volume are named after it.' },
    { name: 'POSTGRES_PASSWORD', value: randomBytes(24).toString('hex'), comment: 'Password of the compose Postgres (also in DATABASE_URL). Set when its volume is first created.' },
    { name: 'FINGERPRINT_SECRET', value: randomBytes(32).toString('base64url'), comment: "orchestrator: HMAC key of the guests' fingerprints." },
    { name: 'IDENTITY_SECRETS_KEY', value: randomBytes(32).toString('base64url'), comment: "orchestrator, its CLI and the webhook dispatcher: AES-256-GCM key identity secrets and webhook signing secrets are stored under." },
    { name: 'LOG_IDENTITY_KEY', value: randomBytes(32).toString('base64url'), comment: "orchestrator, federated-auth and scoped-auth: HMAC key guest identities are logged under (one value for all three)." },
  ];
  for (const service of SERVICE_TOKEN_CALLERS) {
    const { privateKeyPem } = generateServiceKeyPair();
    entries.push({
      name: `${envPrefix(service)}_SERVICE_AUTH_PRIVATE_KEY`,
      value: privateKeyPem,
      comment: `${service}: ES256 private key of its service tokens (PEM); its public half is written to ${service}.pub.pem.`,
    });
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
    {
      name: 'DEMO_AGENT_KEY',
      value: generateAgentKey(),
      comment: "The demo agent's key (seed-demo registers it; it signs in to the agent desk at /desk/ as the demo account's agent).",
    },
    { name: 'LAUNCHDARKLY_SDK_KEY', value: launchDarklySdkKey, comment: 'Optional. Empty: the flags file in the orchestrator image decides (offline).' },
    { name: 'LOG_LEVEL', value: 'info', comment: 'Log level of the three services.' },
  );
  return entries;
}

export interface MakeEnvOptions {
  out: string;
  demoDir: string;
  keysDir: string;
  baseUrl: string;
  force?: boolean;
  launchDarklySdkKey?: string;
}

export interface MakeEnvResult {
  created: boolean;
  values: Map<string, string>;
  demoPage: string;
  /** The files compose mounts as configs, by file name. */
  keyFiles: Map<string, string>;
}

/** The public files docker-compose.yml mounts as configs, derived from the .env values. */
export function composeConfigFiles(values: Map<string, string>): Map<string, string> {
  const files = new Map<string, string>();
  for (const service of SERVICE_TOKEN_CALLERS) {
    const variable = `${envPrefix(service)}_SERVICE_AUTH_PRIVATE_KEY`;
    const privateKeyPem = values.get(variable);
    if (!privateKeyPem) throw new Error(`.env has no ${variable}; run with --force to make new keys`);
    files.set(`${service}.pub.pem`, createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString());
  }
  const deploymentKey = values.get('DEMO_DEPLOYMENT_KEY');
  if (!deploymentKey) throw new Error('.env has no DEMO_DEPLOYMENT_KEY; run with --force to make a new one');
  files.set('demo-deployment-key', deploymentKey);
  // seed-demo keeps it beside the deployment key; on a read-only root it cannot make one.
  const agentKey = values.get('DEMO_AGENT_KEY');
  if (!agentKey) throw new Error('.env has no DEMO_AGENT_KEY; run make-env again (it adds missing variables) or with --force');
  files.set('demo-agent-key', agentKey);
  return files;
}

/**
 * A .env made before a variable existed gets that variable appended with a fresh value; the values it has are
 * never changed (the Postgres volume was initialised with its password).
 */
function appendMissingVariables(file: string): void {
  const existing = parseEnvFile(readFileSync(file, 'utf8'));
  const missing = generateComposeEnv().filter((entry) => !existing.has(entry.name));
  if (missing.length === 0) return;
  const text = readFileSync(file, 'utf8');
  const added = formatEnvFile(missing, `Added by scripts/make-env.ts on ${new Date().toISOString()}: variables this .env did not have yet.`);
  writeFileSync(file, `${text.endsWith('\n') ? text : `${text}\n`}\n${added}`, { mode: 0o600 });
}

export function makeEnv(options: MakeEnvOptions): MakeEnvResult {
  let created = false;
  if (options.force || !existsSync(options.out)) {
    const header = `Secrets and keys for docker-compose.yml, made by scripts/make-env.ts on ${new Date().toISOString()}.\nNever commit this file (it is git-ignored); .env.example documents each variable.`;
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, formatEnvFile(generateComposeEnv(new Date(), options.launchDarklySdkKey ?? ''), header), { mode: 0o600 });
    created = true;
  } else {
    appendMissingVariables(options.out);
  }
  const values = parseEnvFile(readFileSync(options.out, 'utf8'));
  const keyFiles = composeConfigFiles(values);
  mkdirSync(options.keysDir, { recursive: true });
  // Readable by the containers' non-root users: nothing here is secret.
  for (const [name, content] of keyFiles) writeFileSync(join(options.keysDir, name), content, { mode: 0o644 });
  const deploymentKey = keyFiles.get('demo-deployment-key') ?? '';
  const demoPage = writeDemoSite(options.demoDir, { deploymentKey, baseUrl: options.baseUrl, allowedOrigins: [DEMO_ORIGIN] });
  return { created, values, demoPage, keyFiles };
}
