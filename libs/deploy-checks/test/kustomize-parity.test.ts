/**
 * Where kubectl exists, the kustomize fallback must render k8s/ exactly as `kubectl kustomize` does
 * (generated names included: the hash is kustomize's), and the recorded fixture output and the
 * `kubectl create` stand-in must still match kubectl. Skipped without kubectl (or with
 * DEPLOY_CHECKS_NO_KUBECTL=1): that is the machine these guard.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { K8sObject } from '../src/k8s-validate';
import { kubectlCreateDryRun } from '../src/kubectl-create';
import { KUBECTL, kustomizeBuild, kustomizeRender, parseManifests, useKubectl } from '../src/kustomize';

const LAYERS = ['k8s/base', 'k8s/overlays/dev', 'k8s/overlays/prod'];
const FIXTURE = join(__dirname, 'fixtures/kustomize');
const key = (o: K8sObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const byKey = (objects: K8sObject[]) => Object.fromEntries(objects.map((o) => [key(o), o]));

const withKubectl = useKubectl() ? describe : describe.skip;

withKubectl('kustomize fallback parity with kubectl kustomize', () => {
  test.each(LAYERS)('%s: the same objects (by kind/namespace/name, hashed ConfigMap names included, deep-equal), in the same order', (layer) => {
    const ours = kustomizeRender(layer);
    const theirs = parseManifests(kustomizeBuild(layer));
    expect(byKey(ours)).toEqual(byKey(theirs));
    expect(ours.map(key)).toEqual(theirs.map(key));
  });

  test('the fixture output recorded from kubectl is still what kubectl renders', () => {
    expect(parseManifests(kustomizeBuild(join(FIXTURE, 'overlay')))).toEqual(parseManifests(readFileSync(join(FIXTURE, 'kubectl-v5.5.0.yaml'), 'utf8')));
  });

  test('the kubectl create stand-in prints byte for byte what kubectl prints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-create-'));
    try {
      writeFileSync(join(dir, 'key.pem'), '-----BEGIN KEY-----\nabc\n-----END KEY-----\n');
      const runs = [
        ['--namespace', 'webchat', 'create', 'secret', 'generic', 'one', '--from-literal=url=postgres://u:p@h:5432/d?x=1', `--from-file=private=${join(dir, 'key.pem')}`],
        ['--namespace', 'webchat', 'create', 'configmap', 'keys', `--from-file=${join(dir, 'key.pem')}`, '--from-literal=b="quoted"'],
      ];
      for (const args of runs) {
        const flags = [...args, '--dry-run=client', '-o', 'yaml'];
        expect(kubectlCreateDryRun(flags)).toBe(execFileSync(KUBECTL, flags, { encoding: 'utf8' }));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
