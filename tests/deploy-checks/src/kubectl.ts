/**
 * Renders k8s/ kustomizations with the real `kubectl kustomize` (kustomize is built into kubectl; no cluster
 * is needed). kubectl is preinstalled on the development and CI machines; scripts/ensure-system-deps.sh says
 * what to install where it is missing.
 */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './k8s-validate';
import { repoPath } from './paths';

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export const KUBECTL_MISSING =
  `${KUBECTL} not found: the Kubernetes checks render k8s/ with \`kubectl kustomize\` (kubectl 1.27 or later, kustomize 5). ` +
  "Install the Debian package kubectl from Kubernetes' apt repository (pkgs.k8s.io), or set KUBECTL to its path.";

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

/** Runs kubectl; a missing kubectl fails with what to install. */
export function kubectl(args: string[]): string {
  try {
    return execFileSync(KUBECTL, args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string };
    if (code === 'ENOENT') throw new Error(KUBECTL_MISSING);
    throw new Error(`kubectl ${args.join(' ')} failed: ${stderr ?? String(error)}`);
  }
}

/** `kubectl kustomize <dir>` as text. */
export const kustomizeBuild = (dir: string): string => kubectl(['kustomize', repoPath(dir)]);

/** Every object `kubectl kustomize <dir>` renders, in its order. */
export const renderKustomization = (dir: string): K8sObject[] => parseManifests(kustomizeBuild(dir));
