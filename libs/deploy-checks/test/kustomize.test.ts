/**
 * The kustomize fallback on its own (no kubectl needed): a fixture using every supported feature must
 * render exactly as kubectl's kustomize v5.5.0 rendered it (fixtures/kustomize/kubectl-v5.5.0.yaml, kept
 * current by kustomize-parity.test.ts), and anything it does not support must fail, not render differently.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyJsonPatch } from '../src/json-patch';
import { kubectlCreateDryRun } from '../src/kubectl-create';
import { kustomizeRender, parseManifests } from '../src/kustomize';
import { configMapHash, splitImage, updateImage } from '../src/kustomize-transforms';

const FIXTURE = join(__dirname, 'fixtures/kustomize');

/** A copy of the fixture with `edit` applied to overlay/kustomization.yaml, rendered (or its error). */
function renderEdited(edit: (kustomization: string) => string): () => unknown {
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'kustomize-fixture-'));
    try {
      cpSync(FIXTURE, dir, { recursive: true });
      const file = join(dir, 'overlay/kustomization.yaml');
      writeFileSync(file, edit(readFileSync(file, 'utf8')));
      return kustomizeRender(join(dir, 'overlay'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('the kustomize fallback renderer', () => {
  test('the fixture renders object for object, in order, as kubectl (kustomize v5.5.0) rendered it', () => {
    expect(kustomizeRender(join(FIXTURE, 'overlay'))).toEqual(parseManifests(readFileSync(join(FIXTURE, 'kubectl-v5.5.0.yaml'), 'utf8')));
  });

  test('generated names carry kustomize v5.5.0 hashes (its hash input has an empty name), HTML-escaped like Go', () => {
    expect(configMapHash({ data: { FOO: 'Bar' } })).toBe('42cfbf598f');
    expect(configMapHash({ data: { FOO: 'Bar' }, metadata: { name: 'anything' } })).toBe('42cfbf598f');
    expect(configMapHash({})).toBe('6ct58987ht');
    expect(configMapHash({ data: { MODE: '<fast> & "safe"' } })).toBe('kmd997m7kg');
  });

  test('images: tag and digest are split as kustomize does (a registry port is not a tag), and only full names match', () => {
    expect(splitImage('localhost:5000/web:1@sha256:ab')).toEqual({ name: 'localhost:5000/web', tag: '1', digest: 'sha256:ab' });
    expect(updateImage('webchat/orchestrator:0.1.0', { name: 'webchat/orchestrator', newTag: 'dev' })).toBe('webchat/orchestrator:dev');
    expect(updateImage('webchat/orchestrator-admin:0.1.0', { name: 'webchat/orchestrator', newTag: 'dev' })).toBe('webchat/orchestrator-admin:0.1.0');
  });

  test('a patch target name is matched whole: "web" patches the Deployment web where "we" did not', () => {
    expect(renderEdited((k) => k.replace('name: we\n', 'name: web\n'))).toThrow(/patches\[2\] on apps\/Deployment\/\/web: doc is missing path: \/spec\/does\/not\/exist/);
  });

  test('when a kustomization uses a field the fallback does not implement, then rendering fails naming it', () => {
    expect(renderEdited((k) => `commonLabels:\n  a: b\n${k}`)).toThrow(/kustomization field\(s\) commonLabels not supported/);
    expect(renderEdited((k) => k.replace('    behavior: merge\n', '    behavior: merge\n    options:\n      disableNameSuffixHash: true\n'))).toThrow(
      /configMapGenerator field\(s\) options not supported/,
    );
    expect(renderEdited((k) => `${k}\n  - patch: |-\n      kind: Service\n      metadata: {name: web}\n`)).toThrow(/only JSON6902 patches are supported/);
    // kustomize reads its own files as YAML 1.1 into Go strings: an unquoted 1.10 is a number, and refused.
    expect(renderEdited((k) => k.replace('newTag: "1.37"', 'newTag: 1.10'))).toThrow(/images.newTag must be of type string/);
  });

  test('when a generator merges into nothing, a resource repeats or a file lies outside the kustomization, then it fails as kustomize does', () => {
    expect(renderEdited((k) => k.replace('  - name: settings\n    behavior: merge', '  - name: setting\n    behavior: merge'))).toThrow(/finds nothing to merge with/);
    expect(renderEdited((k) => k.replace('  - ../base\n', '  - ../base\n  - ../base/app.yaml\n'))).toThrow(/security; file .* is not in or below/);
    expect(renderEdited((k) => k.replace('    behavior: merge\n', ''))).toThrow(/already registered id: \/ConfigMap\/\/settings/);
  });
});

describe('JSON6902 operations', () => {
  const doc = { a: { 'b/c': [1, 2] } };

  test('add appends with /- and inserts at an index, replace and remove address escaped keys (~1)', () => {
    expect(applyJsonPatch(doc, [{ op: 'add', path: '/a/b~1c/-', value: 3 }])).toEqual({ a: { 'b/c': [1, 2, 3] } });
    expect(applyJsonPatch(doc, [{ op: 'add', path: '/a/b~1c/0', value: 0 }])).toEqual({ a: { 'b/c': [0, 1, 2] } });
    expect(applyJsonPatch(doc, [{ op: 'replace', path: '/a/b~1c/1', value: 9 }])).toEqual({ a: { 'b/c': [1, 9] } });
    expect(applyJsonPatch(doc, [{ op: 'remove', path: '/a/b~1c' }])).toEqual({ a: {} });
    expect(doc).toEqual({ a: { 'b/c': [1, 2] } });
  });

  test('when a path does not exist, then add, replace and remove fail (replace may create an object key, as in kustomize)', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/x/y', value: 1 }])).toThrow(/doc is missing path/);
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/a/b~1c/5', value: 1 }])).toThrow(/out of range/);
    expect(() => applyJsonPatch(doc, [{ op: 'remove', path: '/a/missing' }])).toThrow(/missing key/);
    expect(applyJsonPatch(doc, [{ op: 'replace', path: '/a/new', value: 1 }])).toEqual({ a: { 'b/c': [1, 2], new: 1 } });
    expect(() => applyJsonPatch(doc, [{ op: 'move', path: '/a', value: 1 }])).toThrow(/not supported/);
  });
});

describe('the kubectl create stand-in (for deploy/k8s-secrets.sh without kubectl)', () => {
  test('it prints what kubectl prints for a Secret and a ConfigMap from literals and files', () => {
    const file = join(FIXTURE, 'base/notes.txt');
    expect(kubectlCreateDryRun(['--namespace', 'ns', 'create', 'secret', 'generic', 's', '--from-literal=a=b=c', `--from-file=k=${file}`, '--dry-run=client', '-o', 'yaml'])).toBe(
      'apiVersion: v1\ndata:\n  a: Yj1j\n  k: bGluZSBvbmUKbGluZQl0d28K\nkind: Secret\nmetadata:\n  creationTimestamp: null\n  name: s\n  namespace: ns\n',
    );
    expect(parseManifests(kubectlCreateDryRun(['create', 'configmap', 'c', `--from-file=${file}`, '--dry-run=client', '-o', 'yaml']))).toEqual([
      { apiVersion: 'v1', data: { 'notes.txt': 'line one\nline\ttwo\n' }, kind: 'ConfigMap', metadata: { creationTimestamp: null, name: 'c' } },
    ]);
  });

  test('when asked to do anything but print, then it refuses', () => {
    expect(() => kubectlCreateDryRun(['create', 'configmap', 'c', '--from-literal=a=b'])).toThrow(/--dry-run=client -o yaml/);
    expect(() => kubectlCreateDryRun(['delete', 'secret', 's', '--dry-run=client', '-o', 'yaml'])).toThrow(/unsupported command: delete secret s/);
  });
});
