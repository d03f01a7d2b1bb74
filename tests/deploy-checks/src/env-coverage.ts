/**
 * Which environment variables each deployed program reads (from the services' own zod schemas, so a
 * new variable cannot be forgotten), and where compose and Kubernetes set them.
 */
import type { z } from 'zod';
import { configVariables } from '@webchat/config';
import { FederatedAuthEnv, SECRET_VARIABLES as FEDERATED_AUTH_SECRETS } from '@webchat/federated-auth/src/config';
import { cliEnv } from '@webchat/orchestrator/src/cli/config';
import { ORCHESTRATOR_SECRETS, orchestratorEnv } from '@webchat/orchestrator/src/config';
import { DISPATCHER_SECRETS, dispatcherEnv } from '@webchat/orchestrator/src/webhooks/config';
import { ScopedAuthEnv, SECRET_VARIABLES as SCOPED_AUTH_SECRETS } from '@webchat/scoped-auth/src/config';
import type { K8sObject } from './k8s-validate';

export interface DeployedProgram {
  /** The zod object its config.ts validates process.env with. */
  schema: z.ZodObject;
  /** Variables that carry secrets: never a literal in compose or a ConfigMap. */
  secrets: readonly string[];
  /** Compose services running it. */
  compose: string[];
  /** The Kubernetes workload running it. */
  k8s: { kind: 'Deployment' | 'Job'; name: string };
}

export const PROGRAMS: Record<string, DeployedProgram> = {
  orchestrator: { schema: orchestratorEnv, secrets: ORCHESTRATOR_SECRETS, compose: ['orchestrator'], k8s: { kind: 'Deployment', name: 'orchestrator' } },
  'federated-auth': { schema: FederatedAuthEnv, secrets: FEDERATED_AUTH_SECRETS, compose: ['federated-auth'], k8s: { kind: 'Deployment', name: 'federated-auth' } },
  'scoped-auth': { schema: ScopedAuthEnv, secrets: SCOPED_AUTH_SECRETS, compose: ['scoped-auth'], k8s: { kind: 'Deployment', name: 'scoped-auth' } },
  'webhook-dispatcher': { schema: dispatcherEnv, secrets: DISPATCHER_SECRETS, compose: ['webhook-dispatcher'], k8s: { kind: 'Deployment', name: 'webhook-dispatcher' } },
  // webchat-admin (migrate, seed-demo) reads only the database URL.
  'webchat-admin': { schema: cliEnv, secrets: ['DATABASE_URL'], compose: ['migrate', 'seed-demo'], k8s: { kind: 'Job', name: 'webchat-migrate' } },
};

/**
 * Variables deliberately left to their defaults, with the reason. Everything else a schema reads
 * must be set explicitly in compose and in Kubernetes.
 */
export const DEFAULT_IS_FINE: Record<string, Record<string, string>> = {
  orchestrator: {
    DB_CONNECT_TIMEOUT_MS: '2 s suits a database in the same region; raise it only for a distant one',
    DB_STATEMENT_TIMEOUT_MS: '2 s: every query on the token path is an indexed point lookup',
    FEDERATED_AUTH_TIMEOUT_MS: 'a deadline tuned with the code (3 s, under Starship\'s 10 s proxy_read_timeout)',
    SCOPED_AUTH_TIMEOUT_MS: 'a deadline tuned with the code (2 s, under Starship\'s 10 s proxy_read_timeout)',
    LAUNCHDARKLY_FLAGS_FILE: 'the image ships the flags file at the default path (flags/ beside dist/); used only without an SDK key',
    LAUNCHDARKLY_INIT_TIMEOUT_SECONDS: 'start-up does not wait on LaunchDarkly; the fallback decides until it is ready',
    BODY_LIMIT_BYTES: "32 KiB, matched by Starship's client_max_body_size; change both together or not at all",
    CORS_MAX_AGE_SECONDS: 'a 10 minute preflight cache is a browser-side optimisation with no deployment dependency',
    TOKEN_VALIDATION_CACHE_SECONDS: 'off, so a key withdrawn from scoped-auth is refused at once; turning it on trades that for throughput, knowingly',
    TOKEN_VALIDATION_CACHE_MAX_ENTRIES: 'read only when the verdict cache is on; 20,000 verdicts are about 24 MB',
  },
  'federated-auth': {
    SCOPED_AUTH_TIMEOUT_MS: 'a deadline tuned with the code (2 s, under the orchestrator\'s 3 s)',
  },
  'scoped-auth': {
    TOKEN_CLOCK_TOLERANCE_SECONDS: '5 s of leeway for exp/nbf between pods with NTP-synchronised clocks',
    TOKEN_SIGNING_ACTIVE_KID: 'with one key (the deployed default) that key is active; set it during a rotation (Deploy guide)',
    TOKEN_ENCRYPTION_ACTIVE_KID: 'with one key (the deployed default) that key is active; set it during a rotation (Deploy guide)',
  },
  'webchat-admin': {
    WEBCHAT_PG_PORT: 'only for the local private cluster; deployments always set DATABASE_URL, which wins',
    LOG_IDENTITY_KEY: 'only `logs identity-ref` needs it, run by an operator holding the key; migrations and seed-demo never log an identity',
    IDENTITY_SECRETS_KEY: 'only commands that make a secret (identity-secret rotate, webhooks add/rotate-secret) need it; migrations and seed-demo run without it (the dispatcher seals older webhook secrets at start)',
  },
  'webhook-dispatcher': {
    WEBHOOK_SWEEP_GRACE_SECONDS: '30 s after a delivery was due, its dispatcher is taken for dead; tuned with the code',
    WEBHOOK_POLL_INTERVAL_MS: 'jobs arrive by LISTEN/NOTIFY; the 2 s poll is only the fallback',
  },
};

/** Read outside the schemas, so also expected: @webchat/config's isProductionEnv reads NODE_ENV. */
export const ALSO_READ: Record<string, string[]> = {
  orchestrator: [],
  'federated-auth': ['NODE_ENV'],
  'scoped-auth': ['NODE_ENV'],
  'webchat-admin': [],
  'webhook-dispatcher': [],
};

export const schemaVariables = (program: string): string[] => {
  const spec = PROGRAMS[program];
  if (!spec) throw new Error(`unknown program ${program}`);
  return configVariables(spec.schema);
};

/** The variables that must be set wherever `program` is deployed. */
export const requiredVariables = (program: string): string[] => {
  const allowed = DEFAULT_IS_FINE[program] ?? {};
  return [...new Set([...schemaVariables(program), ...(ALSO_READ[program] ?? [])])].filter((name) => !(name in allowed)).sort();
};

/** Every name the program could read: anything set beyond these is a typo or a leftover. */
export const knownVariables = (program: string): Set<string> => new Set([...schemaVariables(program), ...(ALSO_READ[program] ?? [])]);

export interface EnvSource {
  /** The value (literal or `${...}` in compose), or undefined when it comes from a Secret reference. */
  value?: string;
  secretRef?: { name: string; key: string };
}

// ---- compose ----

interface ComposeService {
  environment?: Record<string, string | number | boolean | null> | string[];
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  [key: string]: unknown;
}

export function composeEnvironment(compose: ComposeFile, service: string): Map<string, EnvSource> {
  const spec = compose.services[service];
  if (!spec) throw new Error(`docker-compose.yml has no service ${service}`);
  const env = new Map<string, EnvSource>();
  const raw = spec.environment ?? {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const [name = '', ...rest] = item.split('=');
      env.set(name, { value: rest.join('=') });
    }
  } else {
    for (const [name, value] of Object.entries(raw)) env.set(name, { value: value === null ? '' : String(value) });
  }
  return env;
}

// ---- Kubernetes ----

interface Container {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  containers: Container[];
  volumes?: Array<{ name: string; secret?: { secretName: string }; configMap?: { name: string } }>;
}

export function podSpecOf(objects: K8sObject[], kind: string, name: string): PodSpec {
  const workload = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!workload) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return (workload.spec as { template: { spec: PodSpec } }).template.spec;
}

/** The environment of a workload's first container: env entries plus the ConfigMaps it loads whole. */
export function k8sEnvironment(objects: K8sObject[], kind: string, name: string): Map<string, EnvSource> {
  const pod = podSpecOf(objects, kind, name);
  const container = pod.containers[0];
  if (!container) throw new Error(`${kind} ${name} has no container`);
  const env = new Map<string, EnvSource>();
  for (const source of container.envFrom ?? []) {
    if (source.secretRef) throw new Error(`${kind} ${name}: envFrom secretRef hides which variables it sets; use secretKeyRef per variable`);
    const configMapName = source.configMapRef?.name;
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === configMapName);
    if (!configMap) throw new Error(`${kind} ${name}: ConfigMap ${configMapName} is not in the rendered manifests`);
    for (const [key, value] of Object.entries((configMap.data ?? {}) as Record<string, string>)) env.set(key, { value });
  }
  for (const entry of container.env ?? []) {
    const secretKeyRef = entry.valueFrom?.secretKeyRef;
    env.set(entry.name, secretKeyRef ? { secretRef: { name: secretKeyRef.name, key: secretKeyRef.key } } : { value: entry.value ?? '' });
  }
  return env;
}

/** Mount paths of a workload's first container, with what is mounted there. */
export function k8sMounts(objects: K8sObject[], kind: string, name: string): Map<string, { secret?: string; configMap?: string }> {
  const pod = podSpecOf(objects, kind, name);
  const mounts = new Map<string, { secret?: string; configMap?: string }>();
  for (const mount of pod.containers[0]?.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    mounts.set(mount.mountPath, { ...(volume?.secret ? { secret: volume.secret.secretName } : {}), ...(volume?.configMap ? { configMap: volume.configMap.name } : {}) });
  }
  return mounts;
}

export interface Coverage {
  missing: string[];
  unknown: string[];
}

export function coverage(program: string, env: Map<string, EnvSource>): Coverage {
  const known = knownVariables(program);
  return {
    missing: requiredVariables(program).filter((name) => !env.has(name)),
    unknown: [...env.keys()].filter((name) => !known.has(name)).sort(),
  };
}
