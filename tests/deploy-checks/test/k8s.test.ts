import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PROGRAMS, coverage, k8sEnvironment, k8sMounts, podSpecOf } from '../src/env-coverage';
import { describeObject, unknownFields, validateK8sObject, validateK8sObjects, type K8sObject } from '../src/k8s-validate';
import { renderKustomization } from '../src/kubectl';
import { repoPath } from '../src/paths';

const LAYERS = ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/prod'] as const;
const OVERLAYS = ['k8s/overlays/dev', 'k8s/overlays/prod'] as const;
const SERVICES = ['orchestrator', 'federated-auth', 'scoped-auth'] as const;
const WORKLOADS = [...SERVICES, 'starship'] as const;
/** http-kit's listen(): in-flight requests get this long to finish after SIGTERM. */
const SERVICE_DRAIN_SECONDS = 10;

const rendered = new Map<string, K8sObject[]>(LAYERS.map((layer) => [layer, renderKustomization(layer)]));
const objectsOf = (layer: string): K8sObject[] => rendered.get(layer) ?? [];
const find = (layer: string, kind: string, name: string) => objectsOf(layer).find((o) => o.kind === kind && o.metadata?.name === name);

// Manifests are plain JSON here: reading them through typed models would add nothing to these checks.
type Json = any;

describe.each(LAYERS)('%s rendered by kubectl kustomize', (layer) => {
  test('every object passes the Kubernetes schema (kubernetes-models) and has no unknown field', () => {
    expect(objectsOf(layer).length).toBeGreaterThan(20);
    expect(validateK8sObjects(objectsOf(layer))).toEqual([]);
  });

  test('no Secret is rendered: Secrets are referenced by name only', () => {
    expect(objectsOf(layer).filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('the validators on broken copies', () => {
  const deployment = () => structuredClone(find('k8s/overlays/prod', 'Deployment', 'orchestrator')) as Json;

  test('when a container field is mistyped (imagePullPolicyy), then .validate() alone misses it but the strict pass names it', () => {
    const broken = deployment();
    broken.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    expect(() => new Deployment(broken).validate()).not.toThrow();
    expect(validateK8sObject(broken)).toEqual(['/spec/template/spec/containers/0/imagePullPolicyy is not a field of apps/v1 Deployment']);
  });

  test('when containers is misspelled (contaniers), then the object is rejected', () => {
    const broken = deployment();
    broken.spec.template.spec.contaniers = broken.spec.template.spec.containers;
    expect(unknownFields(broken)).toEqual(['/spec/template/spec/contaniers']);
    delete broken.spec.template.spec.containers;
    expect(validateK8sObject(broken)).toEqual(['/spec/template/spec must have required property containers']);
  });

  test('when a value has the wrong type or enum, then .validate() rejects it', () => {
    const broken = deployment();
    broken.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
    expect(validateK8sObject(broken).join('\n')).toContain('/spec/template/spec/containers/0/imagePullPolicy must be equal to one of the allowed values');
  });

  test('when a manifest file in a copy of k8s/ has a typo, then the rendered copy fails validation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-broken-'));
    try {
      cpSync(repoPath('k8s'), join(dir, 'k8s'), { recursive: true });
      const file = join(dir, 'k8s/base/network-policies/scoped-auth.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('  ingress:\n', '  ingres:\n'));
      const problems = validateK8sObjects(renderKustomization(join(dir, 'k8s/overlays/prod')));
      expect(problems).toEqual([{ object: 'NetworkPolicy/scoped-auth', problems: ['/spec/ingres is not a field of networking.k8s.io/v1 NetworkPolicy'] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('each workload (prod overlay)', () => {
  const layer = 'k8s/overlays/prod';

  test.each(WORKLOADS)('%s: ServiceAccount without an API token, Deployment, Service, HPA and PDB', (name) => {
    const deployment = find(layer, 'Deployment', name) as Json;
    expect(deployment.spec.template.spec.serviceAccountName).toBe(name);
    expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect((find(layer, 'ServiceAccount', name) as Json)?.automountServiceAccountToken).toBe(false);
    const service = find(layer, 'Service', name) as Json;
    expect(service.spec.type).toBe(name === 'starship' ? 'LoadBalancer' : 'ClusterIP');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    const hpa = find(layer, 'HorizontalPodAutoscaler', name) as Json;
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    // The HPA owns the replica count; a replicas field would reset it on every apply.
    expect(deployment.spec.replicas).toBeUndefined();
    expect((find(layer, 'PodDisruptionBudget', name) as Json).spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  test.each(WORKLOADS)('%s: hardened pod and container security contexts, requests and limits', (name) => {
    const pod = podSpecOf(objectsOf(layer), 'Deployment', name) as Json;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    for (const container of pod.containers) {
      expect(container.securityContext).toEqual({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
      expect(Object.keys(container.resources.limits).sort()).toEqual(['cpu', 'memory']);
    }
  });

  test.each(WORKLOADS)('%s: readiness on /readyz (Starship: /healthz), liveness on /healthz, a preStop pause and a grace period beyond the drain', (name) => {
    const pod = podSpecOf(objectsOf(layer), 'Deployment', name) as Json;
    const container = pod.containers[0];
    expect(container.readinessProbe.httpGet).toEqual({ path: name === 'starship' ? '/healthz' : '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const preStop = container.lifecycle.preStop.exec.command.join(' ');
    const pause = Number(/sleep (\d+)/.exec(preStop)?.[1]);
    expect(pause).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pause + SERVICE_DRAIN_SECONDS);
  });

  test('the migrations Job runs webchat-admin migrate from the orchestrator image, hardened, never restarting in place', () => {
    const job = find(layer, 'Job', 'webchat-migrate') as Json;
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0].command).toEqual(['node', 'dist/webchat-admin.js', 'migrate']);
    expect(pod.containers[0].image).toBe((find(layer, 'Deployment', 'orchestrator') as Json).spec.template.spec.containers[0].image);
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    // Its pods carry the orchestrator's name (its network policy) but not the Service's component.
    const service = find(layer, 'Service', 'orchestrator') as Json;
    expect(Object.entries(service.spec.selector).every(([k, v]) => job.spec.template.metadata.labels[k] === v)).toBe(false);
  });

  test('Starship mounts its generated ConfigMap and a writable /tmp (its nginx prefix), under a read-only root', () => {
    const pod = podSpecOf(objectsOf(layer), 'Deployment', 'starship') as Json;
    const mounts = k8sMounts(objectsOf(layer), 'Deployment', 'starship');
    const configMapName = mounts.get('/etc/starship')?.configMap ?? '';
    expect(configMapName).toMatch(/^starship-nginx-[a-z0-9]+$/);
    const configMap = find(layer, 'ConfigMap', configMapName) as Json;
    expect(configMap.data['nginx.conf']).toBe(readFileSync(repoPath('k8s/base/starship/nginx.conf'), 'utf8'));
    expect(pod.volumes.find((v: Json) => v.name === 'tmp').emptyDir).toBeDefined();
  });
});

describe('overlays', () => {
  const image = (layer: string, name: string) => (find(layer, 'Deployment', name) as Json).spec.template.spec.containers[0].image as string;

  test('prod pulls every image from the registry at a pinned release tag; dev uses :dev', () => {
    for (const name of WORKLOADS) {
      expect(image('k8s/overlays/prod', name)).toMatch(new RegExp(`^registry\\.example\\.com/webchat/${name}:\\d+\\.\\d+\\.\\d+$`));
      expect(image('k8s/overlays/dev', name)).toBe(`webchat/${name}:dev`);
    }
  });

  test('replicas and resources differ per overlay', () => {
    const hpa = (layer: string) => (find(layer, 'HorizontalPodAutoscaler', 'orchestrator') as Json).spec;
    expect(hpa('k8s/overlays/dev')).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
    expect(hpa('k8s/overlays/prod')).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    const memory = (layer: string) => (find(layer, 'Deployment', 'orchestrator') as Json).spec.template.spec.containers[0].resources.limits.memory;
    expect(memory('k8s/overlays/dev')).not.toBe(memory('k8s/overlays/prod'));
  });

  test('the LaunchDarkly SDK key comes from the launchdarkly Secret: required in prod, optional in dev', () => {
    const ref = (layer: string) => k8sEnvironment(objectsOf(layer), 'Deployment', 'orchestrator').get('LAUNCHDARKLY_SDK_KEY')?.secretRef;
    expect(ref('k8s/overlays/prod')).toEqual({ name: 'launchdarkly', key: 'sdk-key' });
    const dev = (find('k8s/overlays/dev', 'Deployment', 'orchestrator') as Json).spec.template.spec.containers[0].env.find(
      (e: Json) => e.name === 'LAUNCHDARKLY_SDK_KEY',
    );
    expect(dev.valueFrom.secretKeyRef).toEqual({ name: 'launchdarkly', key: 'sdk-key', optional: true });
  });
});

describe.each(OVERLAYS)('environment variables in %s', (layer) => {
  test.each(Object.keys(PROGRAMS))('%s: every variable its config schema reads is set (or deliberately defaulted), and nothing unknown', (program) => {
    const spec = PROGRAMS[program]!;
    expect(coverage(program, k8sEnvironment(objectsOf(layer), spec.k8s.kind, spec.k8s.name))).toEqual({ missing: [], unknown: [] });
  });

  test.each(Object.keys(PROGRAMS))('%s: secrets come from Secret references or files in mounted volumes, never a ConfigMap literal', (program) => {
    const spec = PROGRAMS[program]!;
    const env = k8sEnvironment(objectsOf(layer), spec.k8s.kind, spec.k8s.name);
    const mounts = k8sMounts(objectsOf(layer), spec.k8s.kind, spec.k8s.name);
    for (const name of spec.secrets) {
      const source = env.get(name);
      const mounted = source?.value !== undefined && mounts.has(source.value);
      const fromSecretVolume = mounted && mounts.get(source?.value ?? '')?.secret !== undefined;
      // Only the public-key folder may be a ConfigMap; everything else secret is a Secret.
      const ok = source?.secretRef !== undefined || fromSecretVolume || (mounted && name === 'SERVICE_AUTH_PUBLIC_KEYS_DIR');
      expect({ program, name, ok }).toEqual({ program, name, ok: true });
    }
  });

  test('services run in production mode', () => {
    for (const name of SERVICES) expect(k8sEnvironment(objectsOf(layer), 'Deployment', name).get('NODE_ENV')?.value).toBe('production');
  });
});

describe('every object is accounted for', () => {
  test('prod renders exactly the expected kinds', () => {
    const counts: Record<string, number> = {};
    for (const o of objectsOf('k8s/overlays/prod')) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
    expect(counts).toEqual({
      ServiceAccount: 5,
      ConfigMap: 5,
      Service: 4,
      Deployment: 5,
      HorizontalPodAutoscaler: 4,
      PodDisruptionBudget: 5,
      Job: 1,
      NetworkPolicy: 10,
    });
    expect(new Set(objectsOf('k8s/overlays/prod').map((o) => o.metadata?.namespace))).toEqual(new Set(['webchat']));
    expect(objectsOf('k8s/overlays/prod').map(describeObject)).toContain('Job/webchat-migrate');
  });
});
