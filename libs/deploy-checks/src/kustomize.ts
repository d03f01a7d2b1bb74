import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './k8s-validate';
import { repoPath } from './paths';

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export function kubectlAvailable(): boolean {
  try {
    execFileSync(KUBECTL, ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Parses a multi-document YAML stream into objects; throws on any YAML error. */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    objects.push(value as K8sObject);
  }
  return objects;
}

/** `kubectl kustomize <dir>` (kustomize built into kubectl: no cluster needed). */
export function kustomizeBuild(dir: string): string {
  try {
    return execFileSync(KUBECTL, ['kustomize', repoPath(dir)], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string };
    if (code === 'ENOENT') throw new Error(`${KUBECTL} not found: the Kubernetes checks render k8s/ with \`kubectl kustomize\``);
    throw new Error(`kubectl kustomize ${dir} failed: ${stderr ?? String(error)}`);
  }
}

export const renderKustomization = (dir: string): K8sObject[] => parseManifests(kustomizeBuild(dir));
