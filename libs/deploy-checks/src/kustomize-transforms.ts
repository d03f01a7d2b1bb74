/**
 * The kustomize transformers our kustomizations use, ported from kustomize v5 (sigs.k8s.io/kustomize/api):
 * namespace, labels (builtinpluginconsts field specs), images (imagetag LegacyFilter + updater), the
 * ConfigMap name hash (api/hasher) with the back-references it rewrites (namereference field specs),
 * and the legacy output order (resid.Gvk.IsLessThan).
 */
import { createHash } from 'node:crypto';

export type JsonObject = Record<string, unknown>;

/** One object under construction; `needsHash` marks generator output (the suffix is added last, once). */
export interface Resource {
  object: JsonObject;
  needsHash: boolean;
}

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export function metadataOf(object: JsonObject): JsonObject {
  if (!isObject(object.metadata)) object.metadata = {};
  return object.metadata as JsonObject;
}
export const nameOf = (object: JsonObject): string => String(metadataOf(object).name ?? '');
export const namespaceOf = (object: JsonObject): string => String(metadataOf(object).namespace ?? '');

export function gvkOf(object: JsonObject): { group: string; version: string; kind: string } {
  const apiVersion = String(object.apiVersion ?? '');
  const slash = apiVersion.indexOf('/');
  return {
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    kind: String(object.kind ?? ''),
  };
}

const CLUSTER_SCOPED = new Set([
  'APIService', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'IngressClass', 'MutatingWebhookConfiguration',
  'Namespace', 'Node', 'PersistentVolume', 'PriorityClass', 'RuntimeClass', 'StorageClass', 'ValidatingWebhookConfiguration',
]);
export const isNamespaced = (object: JsonObject): boolean => !CLUSTER_SCOPED.has(gvkOf(object).kind);

/** Namespaced objects move to `namespace`; a Namespace object is renamed to it (kustomize's namespace filter). */
export function setNamespace(resources: Resource[], namespace: string): void {
  for (const { object } of resources) {
    const { group, kind } = gvkOf(object);
    if (kind.endsWith('RoleBinding')) throw new Error(`${kind} subjects are not rewritten by the kustomize fallback's namespace (install kubectl)`);
    if (isNamespaced(object)) metadataOf(object).namespace = namespace;
    else if (kind === 'Namespace' && group === '') metadataOf(object).name = namespace;
  }
}

// ---- labels -------------------------------------------------------------------------------------

interface FieldSpec {
  path: string;
  create: boolean;
  kind?: string;
  group?: string;
  version?: string;
}
const spec = (path: string, create: boolean, kind?: string, group?: string, version?: string): FieldSpec => ({ path, create, kind, group, version });
const AFFINITY = ['podAffinity', 'podAntiAffinity'].flatMap((a) => [
  `spec/template/spec/affinity/${a}/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels`,
  `spec/template/spec/affinity/${a}/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels`,
]);
const POD_SELECTORS = [...AFFINITY, 'spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels'];

/** metadataLabelsFieldSpecs: `labels[].includeTemplates` (metadata/labels always). */
const TEMPLATE_LABELS: FieldSpec[] = [
  spec('spec/template/metadata/labels', true, 'ReplicationController', undefined, 'v1'),
  spec('spec/template/metadata/labels', true, 'Deployment'),
  spec('spec/template/metadata/labels', true, 'ReplicaSet'),
  spec('spec/template/metadata/labels', true, 'DaemonSet'),
  spec('spec/template/metadata/labels', true, 'StatefulSet', 'apps'),
  spec('spec/volumeClaimTemplates[]/metadata/labels', true, 'StatefulSet', 'apps'),
  spec('spec/template/metadata/labels', true, 'Job', 'batch'),
  spec('spec/jobTemplate/metadata/labels', true, 'CronJob', 'batch'),
  spec('spec/jobTemplate/spec/template/metadata/labels', true, 'CronJob', 'batch'),
];
/** commonLabelFieldSpecs: `labels[].includeSelectors` (these plus the templates). */
const SELECTOR_LABELS: FieldSpec[] = [
  spec('spec/selector', true, 'Service', undefined, 'v1'),
  spec('spec/selector', true, 'ReplicationController', undefined, 'v1'),
  spec('spec/selector/matchLabels', true, 'Deployment'),
  ...POD_SELECTORS.map((path) => spec(path, false, 'Deployment', 'apps')),
  spec('spec/selector/matchLabels', true, 'ReplicaSet'),
  spec('spec/selector/matchLabels', true, 'DaemonSet'),
  spec('spec/selector/matchLabels', true, 'StatefulSet', 'apps'),
  ...POD_SELECTORS.map((path) => spec(path, false, 'StatefulSet', 'apps')),
  spec('spec/selector/matchLabels', false, 'Job', 'batch'),
  spec('spec/jobTemplate/spec/selector/matchLabels', false, 'CronJob', 'batch'),
  spec('spec/selector/matchLabels', false, 'PodDisruptionBudget', 'policy'),
  spec('spec/podSelector/matchLabels', false, 'NetworkPolicy', 'networking.k8s.io'),
  spec('spec/ingress/from/podSelector/matchLabels', false, 'NetworkPolicy', 'networking.k8s.io'),
  spec('spec/egress/to/podSelector/matchLabels', false, 'NetworkPolicy', 'networking.k8s.io'),
];

const selects = (fs: FieldSpec, object: JsonObject): boolean => {
  const gvk = gvkOf(object);
  return (!fs.kind || fs.kind === gvk.kind) && (!fs.group || fs.group === gvk.group) && (!fs.version || fs.version === gvk.version);
};

/** Walks `segments`, fanning out over sequences like kustomize's field specs, and calls `visit` on each map reached. */
function visitPath(node: unknown, segments: string[], create: boolean, visit: (map: JsonObject) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visitPath(item, segments, create, visit);
    return;
  }
  if (!isObject(node)) return;
  const [head, ...rest] = segments;
  if (head === undefined) return visit(node);
  const sequence = head.endsWith('[]');
  const key = sequence ? head.slice(0, -2) : head;
  if (node[key] === undefined || node[key] === null) {
    if (!create || sequence) return;
    node[key] = {};
  }
  visitPath(node[key], rest, create, visit);
}

export interface LabelsEntry {
  pairs: Record<string, string>;
  includeSelectors: boolean;
  includeTemplates: boolean;
}

export function addLabels(resources: Resource[], entry: LabelsEntry): void {
  const specs = [spec('metadata/labels', true), ...(entry.includeSelectors ? SELECTOR_LABELS : []), ...(entry.includeSelectors || entry.includeTemplates ? TEMPLATE_LABELS : [])];
  for (const { object } of resources) {
    for (const fs of specs.filter((s) => selects(s, object))) visitPath(object, fs.path.split('/'), fs.create, (labels) => Object.assign(labels, entry.pairs));
  }
}

// ---- images -------------------------------------------------------------------------------------

export interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** image.Split: name, tag and digest, ignoring a registry's `host:port`. */
export function splitImage(image: string): { name: string; tag: string; digest: string } {
  const slash = image.indexOf('/');
  const offset = slash > 0 ? slash : 0;
  const search = image.slice(offset);
  const at = search.indexOf('@');
  const colon = search.indexOf(':');
  if (at < 0 && colon < 0) return { name: image, tag: '', digest: '' };
  if (at >= 0 && (colon < 0 || at < colon)) return { name: image.slice(0, offset + at), tag: '', digest: image.slice(offset + at + 1) };
  if (at >= 0) return { name: image.slice(0, offset + colon), tag: image.slice(offset + colon + 1, offset + at), digest: image.slice(offset + at + 1) };
  return { name: image.slice(0, offset + colon), tag: image.slice(offset + colon + 1), digest: '' };
}

export function updateImage(image: string, entry: ImageEntry): string {
  // kustomize compiles the name as a regular expression, unescaped; so do we.
  if (!new RegExp(`^${entry.name}(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`).test(image)) return image;
  let { name, tag, digest } = splitImage(image);
  if (entry.newName) name = entry.newName;
  if (entry.newTag || entry.digest) {
    tag = entry.newTag ?? '';
    digest = entry.digest ?? '';
  }
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/** Every `image` of an element of any `containers` / `initContainers` sequence, at any depth. */
function visitContainers(node: unknown, visit: (container: JsonObject) => void): void {
  if (Array.isArray(node)) return node.forEach((item) => visitContainers(item, visit));
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    visitContainers(value, visit);
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) value.filter(isObject).forEach(visit);
  }
}

export function setImages(resources: Resource[], images: ImageEntry[]): void {
  for (const { object } of resources) {
    if (gvkOf(object).kind === 'CustomResourceDefinition') continue;
    for (const entry of images) {
      visitContainers(object, (container) => {
        if (typeof container.image === 'string') container.image = updateImage(container.image, entry);
      });
    }
  }
}

// ---- generated names ----------------------------------------------------------------------------

/** Go's encoding/json string escaping (HTML-safe, which kustomize does not turn off). */
function goJsonString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || char === '<' || char === '>' || char === '&' || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** json.Marshal of maps: keys sorted. */
function goJson(value: unknown): string {
  if (typeof value === 'string') return goJsonString(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((key) => `${goJsonString(key)}:${goJson(value[key])}`).join(',')}}`;
  return JSON.stringify(value ?? null);
}

/**
 * hasher.encodeConfigMap + encode: sha256 of the JSON of {data, kind, name} (+binaryData), 10 hex chars
 * with 0,1,3,a,e remapped. kustomize v5 reads the name with yaml.Lookup("metadata/name"), which takes
 * that as one key and finds nothing, so the name it hashes is always "" (checked against kubectl's
 * kustomize v5.5.0); we hash the same.
 */
export function configMapHash(object: JsonObject): string {
  const encoded: JsonObject = { kind: 'ConfigMap', name: '', data: isObject(object.data) ? object.data : '' };
  if (isObject(object.binaryData)) encoded.binaryData = object.binaryData;
  const hex = createHash('sha256').update(goJson(encoded)).digest('hex').slice(0, 10);
  const remap: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex].map((c) => remap[c] ?? c).join('');
}

/** Pod specs of the workload kinds whose ConfigMap references kustomize rewrites. */
function podSpecsOf(object: JsonObject): JsonObject[] {
  const at = (...path: string[]): unknown => path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), object);
  const kind = gvkOf(object).kind;
  const found =
    kind === 'Pod' ? at('spec')
    : kind === 'PodTemplate' ? at('template', 'spec')
    : kind === 'CronJob' ? at('spec', 'jobTemplate', 'spec', 'template', 'spec')
    : ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job'].includes(kind) ? at('spec', 'template', 'spec')
    : undefined;
  return isObject(found) ? [found] : [];
}

const objectsIn = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** Every `{ name }` holder that refers to a ConfigMap in a pod spec (namereference field specs). */
function configMapRefs(pod: JsonObject): JsonObject[] {
  const refs: JsonObject[] = [];
  const push = (value: unknown) => isObject(value) && refs.push(value);
  for (const container of [...objectsIn(pod.containers), ...objectsIn(pod.initContainers)]) {
    for (const env of objectsIn(container.env)) push(isObject(env.valueFrom) ? env.valueFrom.configMapKeyRef : undefined);
    for (const envFrom of objectsIn(container.envFrom)) push(envFrom.configMapRef);
  }
  for (const volume of objectsIn(pod.volumes)) {
    push(volume.configMap);
    for (const source of objectsIn(isObject(volume.projected) ? volume.projected.sources : undefined)) push(source.configMap);
  }
  return refs;
}

/** Adds the hash suffix to generated ConfigMaps, then points every reference in the same namespace at the new name. */
export function addHashSuffixes(resources: Resource[]): void {
  const renamed = new Map<string, string>();
  for (const { object, needsHash } of resources) {
    if (!needsHash) continue;
    const name = nameOf(object);
    const hashed = `${name}-${configMapHash(object)}`;
    renamed.set(`${namespaceOf(object)}/${name}`, hashed);
    metadataOf(object).name = hashed;
  }
  for (const { object } of resources) {
    for (const ref of podSpecsOf(object).flatMap(configMapRefs)) {
      const target = renamed.get(`${namespaceOf(object)}/${String(ref.name ?? '')}`);
      if (target) ref.name = target;
    }
  }
}

// ---- output order -------------------------------------------------------------------------------

const ORDER_FIRST = [
  'Namespace', 'ResourceQuota', 'StorageClass', 'CustomResourceDefinition', 'ServiceAccount', 'PodSecurityPolicy', 'Role', 'ClusterRole',
  'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Endpoints', 'Service', 'LimitRange', 'PriorityClass', 'PersistentVolume',
  'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'CronJob', 'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
const typeOrder = (kind: string): number =>
  ORDER_FIRST.includes(kind) ? ORDER_FIRST.indexOf(kind) - ORDER_FIRST.length : ORDER_LAST.includes(kind) ? ORDER_LAST.indexOf(kind) + 1 : 0;

/** kustomize's default ("legacy") order: kinds by the list above, then group_version_kind, then namespace_name. */
export function legacySort(objects: JsonObject[]): JsonObject[] {
  const gvkString = (o: JsonObject) => {
    const { group, version, kind } = gvkOf(o);
    return `${group || '~G'}_${version || '~V'}_${kind || '~K'}`;
  };
  const idString = (o: JsonObject) => `${namespaceOf(o) || (isNamespaced(o) ? 'default' : '')}|${nameOf(o)}`;
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...objects].sort(
    (a, b) => typeOrder(gvkOf(a).kind) - typeOrder(gvkOf(b).kind) || compare(gvkString(a), gvkString(b)) || compare(idString(a), idString(b)),
  );
}
