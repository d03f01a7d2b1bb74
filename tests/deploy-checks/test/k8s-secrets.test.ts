/**
 * The Secrets and ConfigMap that deploy/k8s-secrets.sh creates (printed with kubectl's client-side
 * dry run: no cluster), mounted and injected as the kubelet would into the prod overlay's pods, must
 * satisfy each service's own config loader in production mode.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceTokenSigner, ServiceTokenVerifier } from '@webchat/service-auth';
import { PROGRAMS, k8sEnvironment, k8sMounts, podSpecOf } from '../src/env-coverage';
import { validateK8sObjects, type K8sObject } from '../src/k8s-validate';
import { parseManifests, renderKustomization } from '../src/kubectl';
import { repoPath } from '../src/paths';
import { loadFederatedAuthConfig } from '@webchat/federated-auth/src/config';
import { loadCliConfig } from '@webchat/orchestrator/src/cli/config';
import { loadOrchestratorConfig } from '@webchat/orchestrator/src/config';
import { loadDispatcherConfig } from '@webchat/orchestrator/src/webhooks/config';
import { loadScopedAuthConfig } from '@webchat/scoped-auth/src/config';

const DATABASE_URL = 'postgres://webchat:s3cret@10.20.0.5:5432/webchat';
const manifests = renderKustomization('k8s/overlays/prod');
const created = parseManifests(
  execFileSync('bash', [repoPath('deploy/k8s-secrets.sh'), 'webchat', DATABASE_URL, 'sdk-test-key'], {
    encoding: 'utf8',
    env: { ...process.env, KUBECTL_FLAGS: '--dry-run=client -o yaml' },
    timeout: 30_000,
  }),
);

/** name → key → decoded value, for the Secrets and ConfigMaps the script makes. */
function store(kind: 'Secret' | 'ConfigMap'): Map<string, Map<string, string>> {
  const result = new Map<string, Map<string, string>>();
  for (const object of created.filter((o) => o.kind === kind)) {
    const data = (object.data ?? {}) as Record<string, string>;
    const decoded = Object.entries(data).map(([key, value]) => [key, kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value] as const);
    result.set(object.metadata?.name ?? '', new Map(decoded));
  }
  return result;
}
const secrets = store('Secret');
const configMaps = store('ConfigMap');

interface Volume {
  name: string;
  secret?: { secretName: string; optional?: boolean };
  configMap?: { name: string };
}

/** References from the rendered workloads: `Secret name/key`, `Secret name/*` (whole volume), `ConfigMap name/*`. */
function references(objects: K8sObject[]): string[] {
  const refs = new Set<string>();
  for (const object of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job')) {
    const pod = podSpecOf(objects, object.kind, object.metadata?.name ?? '');
    for (const container of pod.containers) {
      for (const entry of container.env ?? []) {
        const ref = entry.valueFrom?.secretKeyRef;
        if (ref) refs.add(`Secret ${ref.name}/${ref.key}`);
      }
    }
    for (const volume of (pod.volumes ?? []) as Volume[]) {
      if (volume.secret) refs.add(`Secret ${volume.secret.secretName}/*`);
      // Generated ConfigMaps (name-hash) are rendered with the manifests; only external ones need creating.
      if (volume.configMap && !objects.some((o) => o.kind === 'ConfigMap' && o.metadata?.name === volume.configMap?.name)) refs.add(`ConfigMap ${volume.configMap.name}/*`);
    }
  }
  return [...refs].sort();
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'k8s-secrets-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** What a container of `kind/name` sees: env with Secret refs resolved, volumes written under `dir`. */
function podEnvironment(kind: 'Deployment' | 'Job', name: string): NodeJS.ProcessEnv {
  const dir = join(root, `${kind}-${name}`);
  const mounts = k8sMounts(manifests, kind, name);
  for (const [mountPath, source] of mounts) {
    const files = source.secret ? secrets.get(source.secret) : source.configMap ? configMaps.get(source.configMap) : undefined;
    for (const [file, content] of files ?? []) {
      mkdirSync(join(dir, mountPath), { recursive: true });
      writeFileSync(join(dir, mountPath, file), content);
    }
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [variable, source] of k8sEnvironment(manifests, kind, name)) {
    if (source.secretRef) {
      const value = secrets.get(source.secretRef.name)?.get(source.secretRef.key);
      if (value === undefined) throw new Error(`${name}: Secret ${source.secretRef.name}/${source.secretRef.key} does not exist`);
      env[variable] = value;
    } else {
      const value = source.value ?? '';
      env[variable] = [...mounts.keys()].some((m) => value === m || value.startsWith(`${m}/`)) ? join(dir, value) : value;
    }
  }
  return env;
}

describe('deploy/k8s-secrets.sh (kubectl client-side dry run)', () => {
  test('it makes six Secrets and one ConfigMap, all valid Kubernetes objects in the namespace given', () => {
    expect(created.map((o) => `${o.kind} ${o.metadata?.name}`).sort()).toEqual([
      'ConfigMap service-auth-public-keys',
      'Secret federated-auth-secrets',
      'Secret launchdarkly',
      'Secret log-identity-key',
      'Secret orchestrator-secrets',
      'Secret scoped-auth-token-encryption-keys',
      'Secret scoped-auth-token-signing-keys',
    ]);
    // kubectl's dry run prints `creationTimestamp: null`, which the API server fills in.
    expect(validateK8sObjects(created.map((o) => ({ ...o, metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace } })))).toEqual([]);
    expect(new Set(created.map((o) => o.metadata?.namespace))).toEqual(new Set(['webchat']));
  });

  test('what it creates is exactly what the prod manifests reference, key by key', () => {
    const made = [
      ...[...secrets].flatMap(([name, keys]) => [`Secret ${name}/*`, ...[...keys.keys()].map((key) => `Secret ${name}/${key}`)]),
      ...[...configMaps.keys()].map((name) => `ConfigMap ${name}/*`),
    ];
    const referenced = references(manifests);
    expect(referenced.filter((ref) => !made.includes(ref))).toEqual([]);
    // Nothing made that no workload uses (the token-key Secrets are used whole, as volumes).
    const used = (name: string) => referenced.some((ref) => ref.startsWith(`Secret ${name}/`) || ref.startsWith(`ConfigMap ${name}/`));
    expect([...secrets.keys(), ...configMaps.keys()].filter((name) => !used(name))).toEqual([]);
  });

  test('the Deploy guide shows a kubectl create command for each of them', () => {
    const guide = readFileSync(repoPath('README.md'), 'utf8');
    for (const object of created) {
      const kind = object.kind === 'Secret' ? 'secret generic' : 'configmap';
      expect(guide).toContain(`create ${kind} ${object.metadata?.name}`);
    }
  });
});

describe('the prod pods with those Secrets mounted and injected', () => {
  test('scoped-auth loads its signing and encryption keys from the mounted Secret folders', () => {
    const config = loadScopedAuthConfig(podEnvironment('Deployment', 'scoped-auth'));
    expect(config.keys.signing.map((k) => k.kid)).toEqual([config.keys.activeSigningKid]);
    expect(config.keys.encryption.map((k) => k.kid)).toEqual([config.keys.activeEncryptionKid]);
    expect(Object.keys(config.serviceAuth.publicKeys).sort()).toEqual(['federated-auth', 'orchestrator']);
  });

  test('federated-auth and the orchestrator sign service tokens that scoped-auth accepts', () => {
    const scoped = loadScopedAuthConfig(podEnvironment('Deployment', 'scoped-auth'));
    const verifier = new ServiceTokenVerifier({ audience: 'scoped-auth', publicKeys: scoped.serviceAuth.publicKeys });
    const federated = loadFederatedAuthConfig(podEnvironment('Deployment', 'federated-auth'));
    expect(verifier.verify(new ServiceTokenSigner({ issuer: 'federated-auth', privateKey: federated.serviceAuth.privateKey }).tokenFor('scoped-auth')).iss).toBe(
      'federated-auth',
    );
    const orchestrator = loadOrchestratorConfig(podEnvironment('Deployment', 'orchestrator'));
    const signer = new ServiceTokenSigner({ issuer: 'orchestrator', privateKey: orchestrator.serviceAuthPrivateKey });
    expect(verifier.verify(signer.tokenFor('scoped-auth')).iss).toBe('orchestrator');
  });

  test('the orchestrator gets its database URL, fingerprint secret and LaunchDarkly key from the Secrets', () => {
    const config = loadOrchestratorConfig(podEnvironment('Deployment', 'orchestrator'));
    expect(config).toMatchObject({ NODE_ENV: 'production', DATABASE_URL: DATABASE_URL, LAUNCHDARKLY_SDK_KEY: 'sdk-test-key', HOST: '0.0.0.0' });
    expect(config.FINGERPRINT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(config.IDENTITY_SECRETS_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('the webhook dispatcher gets the database URL and the key webhook secrets are sealed with, the same as the orchestrator\'s', () => {
    const dispatcher = loadDispatcherConfig(podEnvironment('Deployment', 'webhook-dispatcher'));
    expect(dispatcher).toMatchObject({ NODE_ENV: 'production', DATABASE_URL: DATABASE_URL, WEBHOOK_ALLOW_LOCAL_URLS: false });
    expect(dispatcher.IDENTITY_SECRETS_KEY).toBe(loadOrchestratorConfig(podEnvironment('Deployment', 'orchestrator')).IDENTITY_SECRETS_KEY);
  });

  test('the orchestrator, federated-auth and scoped-auth log identities under one LOG_IDENTITY_KEY, so one guest\'s lines correlate across them', () => {
    const orchestrator = loadOrchestratorConfig(podEnvironment('Deployment', 'orchestrator')).LOG_IDENTITY_KEY;
    expect(orchestrator).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loadFederatedAuthConfig(podEnvironment('Deployment', 'federated-auth')).logIdentityKey).toEqual(Buffer.from(orchestrator, 'base64url'));
    expect(loadScopedAuthConfig(podEnvironment('Deployment', 'scoped-auth')).logIdentityKey).toEqual(Buffer.from(orchestrator, 'base64url'));
  });

  test('the migrations Job reads the same database URL', () => {
    expect(loadCliConfig(podEnvironment(PROGRAMS['webchat-admin']!.k8s.kind, PROGRAMS['webchat-admin']!.k8s.name)).databaseUrl).toBe(DATABASE_URL);
  });
});
