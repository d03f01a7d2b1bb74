/**
 * Renders k8s/ kustomizations: with `kubectl kustomize` when kubectl is installed, otherwise (a fresh CI
 * machine: no kubectl, no Debian or npm package that ships kustomize) with a small TypeScript port of the
 * kustomize features our kustomizations use. The port refuses any other kustomization field, so a new
 * feature in k8s/ fails loudly here instead of rendering differently; a parity test compares both
 * renderers wherever kubectl exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { applyJsonPatch, type JsonPatchOperation } from './json-patch';
import type { K8sObject } from './k8s-validate';
import {
  addHashSuffixes, addLabels, gvkOf, isNamespaced, isObject, legacySort, metadataOf, nameOf, namespaceOf, setImages, setNamespace,
  type ImageEntry, type JsonObject, type LabelsEntry, type Resource,
} from './kustomize-transforms';
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

let kubectlFound: boolean | undefined;
/** kubectl renders unless it is missing or DEPLOY_CHECKS_NO_KUBECTL=1 (how the fallback is exercised here). */
export function useKubectl(): boolean {
  if (process.env.DEPLOY_CHECKS_NO_KUBECTL === '1') return false;
  kubectlFound ??= kubectlAvailable();
  return kubectlFound;
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

/** `dir` (repo-relative or absolute) rendered by kubectl if present, else by {@link kustomizeRender}. */
export const renderKustomization = (dir: string): K8sObject[] => (useKubectl() ? parseManifests(kustomizeBuild(dir)) : kustomizeRender(dir));

// ---- the fallback renderer ----------------------------------------------------------------------

/** Every field the fallback implements, with the type kustomize's Go structs demand; anything else fails. */
type FieldType = 'string' | 'strings' | 'boolean' | 'list' | 'map';
const SUPPORTED = {
  kustomization: { apiVersion: 'string', kind: 'string', resources: 'strings', namespace: 'string', labels: 'list', images: 'list', configMapGenerator: 'list', patches: 'list' },
  labels: { pairs: 'map', includeSelectors: 'boolean', includeTemplates: 'boolean' },
  images: { name: 'string', newName: 'string', newTag: 'string', digest: 'string' },
  configMapGenerator: { name: 'string', namespace: 'string', behavior: 'string', envs: 'strings', files: 'strings', literals: 'strings' },
  patches: { patch: 'string', path: 'string', target: 'map' },
  target: { group: 'string', version: 'string', kind: 'string', name: 'string', namespace: 'string' },
} satisfies Record<string, Record<string, FieldType>>;

const hasType = (value: unknown, type: FieldType): boolean =>
  type === 'strings' ? Array.isArray(value) && value.every((v) => typeof v === 'string')
  : type === 'list' ? Array.isArray(value)
  : type === 'map' ? isObject(value)
  : typeof value === type;

/** `value` as a T, after checking each field is supported and typed as kustomize requires (null = absent). */
function checked<T>(value: unknown, what: keyof typeof SUPPORTED, where: string): T {
  if (!isObject(value)) throw new Error(`${where}: ${what} must be a mapping`);
  const fields: Record<string, FieldType> = SUPPORTED[what];
  const present = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
  const unknown = present.filter(([key]) => !fields[key]).map(([key]) => key);
  if (unknown.length > 0) throw new Error(`${where}: ${what} field(s) ${unknown.join(', ')} not supported by the kustomize fallback (install kubectl)`);
  for (const [key, v] of present) if (!hasType(v, fields[key]!)) throw new Error(`${where}: ${what}.${key} must be of type ${fields[key]}`);
  return Object.fromEntries(present) as T;
}

/**
 * kustomize reads kustomization.yaml and patches through sigs.k8s.io/yaml (YAML 1.1: `on` is true, `0755`
 * is 493, `1.10` is 1.1), but keeps dates as strings; resources go through kyaml and stay YAML 1.2.
 */
const parseYaml11 = (text: string): unknown =>
  parse(text, { version: '1.1', customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp') });

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: unknown[];
  images?: unknown[];
  configMapGenerator?: unknown[];
  patches?: unknown[];
}
interface Generator {
  name?: string;
  namespace?: string;
  behavior?: string;
  envs?: string[];
  files?: string[];
  literals?: string[];
}
interface Patch {
  patch?: string;
  path?: string;
  target?: Record<string, string | undefined>;
}

function loadKustomization(dir: string): Kustomization {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((name) => join(dir, name)).find((path) => existsSync(path));
  if (!file) throw new Error(`no kustomization.yaml in ${dir}`);
  const k = checked<Kustomization & { kind?: string }>(parseYaml11(readFileSync(file, 'utf8')), 'kustomization', file);
  if (k.kind !== undefined && k.kind !== 'Kustomization') throw new Error(`${file}: kind ${k.kind} is not supported by the kustomize fallback`);
  return k;
}

/** kustomize's load restrictor (RootOnly): files come from the kustomization's folder or below. */
function fileIn(dir: string, path: string): string {
  const file = resolve(dir, path);
  if (!`${file}${sep}`.startsWith(`${dir}${sep}`) || file === dir) throw new Error(`security; file '${file}' is not in or below '${dir}'`);
  return file;
}

const idOf = (o: JsonObject) => `${gvkOf(o).group}/${gvkOf(o).kind}/${namespaceOf(o)}/${nameOf(o)}`;

function add(resources: Resource[], resource: Resource, where: string): void {
  if (resources.some((r) => idOf(r.object) === idOf(resource.object))) throw new Error(`${where}: may not add resource with an already registered id: ${idOf(resource.object)}`);
  resources.push(resource);
}

function readResources(file: string): Resource[] {
  return parseManifests(readFileSync(file, 'utf8')).map((object) => {
    if (!object.kind || !nameOf(object)) throw new Error(`${file}: every resource needs a kind and metadata.name`);
    if (object.kind.endsWith('List')) throw new Error(`${file}: ${object.kind} is not supported by the kustomize fallback`);
    return { object, needsHash: false };
  });
}

const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** kv.KeyValuesFromLines: `KEY=value` verbatim (no unquoting), `#` comments, a bare KEY read from the environment. */
function envFilePairs(text: string, file: string): [string, string][] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trimStart())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const eq = line.indexOf('=');
      const key = eq < 0 ? line : line.slice(0, eq);
      if (!ENV_NAME.test(key)) throw new Error(`${file}: "${key}" is not a valid key name`);
      return [key, eq < 0 ? (process.env[key] ?? '') : line.slice(eq + 1)];
    });
}

function literalPair(source: string, where: string): [string, string] {
  const eq = source.indexOf('=');
  if (eq <= 0) throw new Error(`${where}: invalid literal source ${source}, expected key=value`);
  const value = source.slice(eq + 1);
  const quoted = value.length >= 2 && value[0] === value[value.length - 1] && (value[0] === '"' || value[0] === "'");
  return [source.slice(0, eq), quoted ? value.slice(1, -1) : value];
}

function filePair(dir: string, source: string, where: string): [string, string] {
  const eq = source.indexOf('=');
  const [key, path] = eq < 0 ? [basename(source), source] : [source.slice(0, eq), source.slice(eq + 1)];
  const bytes = readFileSync(fileIn(dir, path));
  try {
    return [key, new TextDecoder('utf-8', { fatal: true }).decode(bytes)];
  } catch {
    throw new Error(`${where}: ${path} is not UTF-8 (binaryData is not supported by the kustomize fallback)`);
  }
}

function generateConfigMap(dir: string, generator: Generator, where: string): Resource {
  if (!generator.name) throw new Error(`${where}: a generator needs a name`);
  const pairs: [string, string][] = [
    ...(generator.envs ?? []).flatMap((path) => envFilePairs(readFileSync(fileIn(dir, path), 'utf8'), path)),
    ...(generator.literals ?? []).map((source) => literalPair(source, where)),
    ...(generator.files ?? []).map((source) => filePair(dir, source, where)),
  ];
  const data: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (!CONFIG_MAP_KEY.test(key)) throw new Error(`${where}: "${key}" is not a valid ConfigMap key`);
    if (key in data) throw new Error(`${where}: cannot add key ${key}, another key by that name already exists`);
    data[key] = value;
  }
  const metadata: JsonObject = { name: generator.name, ...(generator.namespace ? { namespace: generator.namespace } : {}) };
  return { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata, data }, needsHash: true };
}

/** behavior create (the default) or merge: the generator's data and labels win, the existing name stays. */
function absorb(resources: Resource[], generated: Resource, behavior: string, where: string): void {
  const index = resources.findIndex((r) => idOf(r.object) === idOf(generated.object));
  if (behavior === 'create') return add(resources, generated, where);
  if (behavior !== 'merge') throw new Error(`${where}: behavior ${behavior} is not supported by the kustomize fallback`);
  if (index < 0) throw new Error(`${where}: merge of ${idOf(generated.object)} finds nothing to merge with`);
  const old = resources[index]!.object;
  const merged = generated.object;
  const [oldMeta, newMeta] = [metadataOf(old), metadataOf(merged)];
  for (const field of ['labels', 'annotations']) {
    const combined = { ...(isObject(oldMeta[field]) ? oldMeta[field] : {}), ...(isObject(newMeta[field]) ? newMeta[field] : {}) };
    if (Object.keys(combined).length > 0) newMeta[field] = combined;
  }
  merged.data = { ...(isObject(old.data) ? old.data : {}), ...(isObject(merged.data) ? merged.data : {}) };
  resources[index] = { object: merged, needsHash: true };
}

/** types.Selector: each field a regular expression that must match whole (kustomize anchors ^(?:…)$). */
function selected(object: JsonObject, target: Record<string, string | undefined>): boolean {
  const matches = (pattern: string | undefined, value: string) => !pattern || new RegExp(`^(?:${pattern})$`).test(value);
  const { group, version, kind } = gvkOf(object);
  const namespace = namespaceOf(object) || (isNamespaced(object) ? 'default' : '');
  return matches(target.group, group) && matches(target.version, version) && matches(target.kind, kind) && matches(target.name, nameOf(object)) && matches(target.namespace, namespace);
}

function applyPatch(dir: string, resources: Resource[], patch: Patch, where: string): void {
  if ((patch.patch === undefined) === (patch.path === undefined)) throw new Error(`${where}: give exactly one of patch and path`);
  const operations = parseYaml11(patch.patch ?? readFileSync(fileIn(dir, patch.path!), 'utf8'));
  if (!Array.isArray(operations)) throw new Error(`${where}: only JSON6902 patches are supported by the kustomize fallback (strategic merge is not)`);
  if (patch.target === undefined) throw new Error(`${where}: a JSON6902 patch needs a target`);
  const target = checked<Record<string, string | undefined>>(patch.target, 'target', where);
  if (operations.some((op) => !isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string')) throw new Error(`${where}: every operation needs an op and a path`);
  for (const resource of resources.filter((r) => selected(r.object, target))) {
    try {
      resource.object = applyJsonPatch(resource.object, operations as JsonPatchOperation[]);
    } catch (error) {
      throw new Error(`${where} on ${idOf(resource.object)}: ${(error as Error).message}`);
    }
  }
}

/** One kustomization: its resources (kustomizations recursively), generators, then transformers in kustomize's order. */
function accumulate(dir: string, seen: string[]): Resource[] {
  if (seen.includes(dir)) throw new Error(`cycle in kustomizations: ${[...seen, dir].join(' -> ')}`);
  const k = loadKustomization(dir);
  const where = relative(repoPath(), join(dir, 'kustomization.yaml'));
  const resources: Resource[] = [];
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new Error(`${where}: resource ${entry} does not exist`);
    const loaded = statSync(path).isDirectory() ? accumulate(path, [...seen, dir]) : readResources(fileIn(dir, entry));
    for (const resource of loaded) add(resources, resource, where);
  }
  (k.configMapGenerator ?? []).forEach((value, i) => {
    const generator = checked<Generator>(value, 'configMapGenerator', `${where} configMapGenerator[${i}]`);
    absorb(resources, generateConfigMap(dir, generator, `${where} configMapGenerator[${i}]`), generator.behavior ?? 'create', where);
  });
  (k.patches ?? []).forEach((value, i) => applyPatch(dir, resources, checked<Patch>(value, 'patches', where), `${where} patches[${i}]`));
  if (k.namespace) setNamespace(resources, k.namespace);
  for (const value of k.labels ?? []) {
    const entry = checked<Partial<LabelsEntry>>(value, 'labels', where);
    const pairs = entry.pairs ?? {};
    if (Object.values(pairs).some((v) => typeof v !== 'string')) throw new Error(`${where}: label values must be strings`);
    addLabels(resources, { pairs, includeSelectors: entry.includeSelectors === true, includeTemplates: entry.includeTemplates === true });
  }
  const images = (k.images ?? []).map((value) => checked<Partial<ImageEntry>>(value, 'images', where));
  if (images.some((image) => !image.name)) throw new Error(`${where}: every image needs a name`);
  setImages(resources, images as ImageEntry[]);
  return resources;
}

/** The TypeScript kustomize: `kubectl kustomize dir` for the features listed in SUPPORTED. */
export function kustomizeRender(dir: string): K8sObject[] {
  const resources = accumulate(repoPath(dir), []);
  // As kustomize does: suffixes once, at the top, after every transformer (then the references follow).
  addHashSuffixes(resources);
  return legacySort(resources.map((r) => r.object)) as K8sObject[];
}
