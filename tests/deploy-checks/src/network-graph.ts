/**
 * The traffic NetworkPolicies allow, as a list of edges `from -> to:port/protocol`, computed the way
 * a cluster enforces them: a connection needs an egress rule on the source AND an ingress rule on the
 * destination (every pod here is selected by the default deny-all in both directions).
 *
 * Nodes are workloads (the `app.kubernetes.io/name` label of Deployments and Jobs), `kube-dns`, named
 * address blocks (`ipBlocks`: e.g. the database's CIDR → `postgres`), `internet` (0.0.0.0/0 with the
 * private ranges excepted) and `anywhere` (a rule that names no peer at all).
 */
import type { K8sObject } from './k8s-validate';

export const NAME_LABEL = 'app.kubernetes.io/name';
export const INTERNET = 'internet';
/** A rule without peers: every source or destination, inside the cluster as well as outside. */
export const ANYWHERE = 'anywhere';
export const KUBE_DNS = 'kube-dns';
/** What 0.0.0.0/0 must except to count as "the internet" rather than "anywhere, the cluster included". */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

type Labels = Record<string, string>;
interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: unknown[];
}
interface IpBlock {
  cidr: string;
  except?: string[];
}
interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IpBlock;
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: PolicyPort[];
}
interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: Rule[];
  egress?: Rule[];
}

export interface Workload {
  name: string;
  labels: Labels;
}

export interface GraphOptions {
  /** Names for ipBlock peers by CIDR, e.g. { '10.20.0.0/24': 'postgres' }. An unnamed block is `ipBlock:<cidr>`. */
  ipBlocks?: Record<string, string>;
}

export interface NetworkGraph {
  /** Sorted, unique `from -> to:port/PROTOCOL`. */
  edges: string[];
  /** Egress with no matching ingress, or ingress with no matching egress: a policy pair that disagrees. */
  halfEdges: string[];
  /** What the ingress rules alone admit (`from -> to:port`), whatever the sources' egress says. */
  ingress: string[];
}

/** Pod-template labels of the Deployments and Jobs: the things policies select. */
export function workloadsOf(objects: K8sObject[]): Workload[] {
  const workloads: Workload[] = [];
  for (const object of objects) {
    if (object.kind !== 'Deployment' && object.kind !== 'Job') continue;
    const labels = ((object.spec as { template?: { metadata?: { labels?: Labels } } }).template?.metadata?.labels ?? {}) as Labels;
    const name = labels[NAME_LABEL];
    if (!name) throw new Error(`${object.kind}/${object.metadata?.name}: pod template has no ${NAME_LABEL} label`);
    workloads.push({ name, labels });
  }
  return workloads;
}

function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  if (selector.matchExpressions?.length) throw new Error('matchExpressions are not supported by this check; use matchLabels');
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

function isInternet(block: IpBlock): boolean {
  return block.cidr === '0.0.0.0/0' && PRIVATE_RANGES.every((range) => block.except?.includes(range));
}

/** The node names a peer stands for. */
function peerNodes(peer: Peer, workloads: Workload[], options: GraphOptions): string[] {
  if (peer.ipBlock) {
    if (isInternet(peer.ipBlock)) return [INTERNET];
    return [options.ipBlocks?.[peer.ipBlock.cidr] ?? `ipBlock:${peer.ipBlock.cidr}`];
  }
  if (peer.namespaceSelector) {
    const dns = peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system' && peer.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns';
    if (dns) return [KUBE_DNS];
    return [`namespace:${JSON.stringify(peer.namespaceSelector)}/${JSON.stringify(peer.podSelector ?? {})}`];
  }
  return [...new Set(workloads.filter((w) => selects(peer.podSelector, w.labels)).map((w) => w.name))];
}

function portKeys(rule: Rule): string[] {
  if (!rule.ports || rule.ports.length === 0) return ['*'];
  return rule.ports.map((port) => {
    if (port.endPort !== undefined) return `${port.port}-${port.endPort}/${port.protocol ?? 'TCP'}`;
    return `${port.port ?? '*'}/${port.protocol ?? 'TCP'}`;
  });
}

const hasType = (spec: PolicySpec, type: 'Ingress' | 'Egress') =>
  spec.policyTypes ? spec.policyTypes.includes(type) : type === 'Ingress' || (spec.egress?.length ?? 0) > 0;

export function networkGraph(objects: K8sObject[], options: GraphOptions = {}): NetworkGraph {
  const workloads = workloadsOf(objects);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.spec as unknown as PolicySpec);
  const egress = new Set<string>();
  const ingress = new Set<string>();
  for (const spec of policies) {
    const selected = [...new Set(workloads.filter((w) => selects(spec.podSelector, w.labels)).map((w) => w.name))];
    if (hasType(spec, 'Egress')) {
      for (const rule of spec.egress ?? []) {
        const targets = rule.to && rule.to.length > 0 ? rule.to.flatMap((peer) => peerNodes(peer, workloads, options)) : [ANYWHERE];
        for (const source of selected) for (const target of targets) for (const port of portKeys(rule)) egress.add(`${source} -> ${target}:${port}`);
      }
    }
    if (hasType(spec, 'Ingress')) {
      for (const rule of spec.ingress ?? []) {
        const sources = rule.from && rule.from.length > 0 ? rule.from.flatMap((peer) => peerNodes(peer, workloads, options)) : [ANYWHERE];
        for (const target of selected) for (const source of sources) for (const port of portKeys(rule)) ingress.add(`${source} -> ${target}:${port}`);
      }
    }
  }
  const workloadNames = new Set(workloads.map((w) => w.name));
  const edges = new Set<string>();
  const halfEdges: string[] = [];
  for (const edge of egress) {
    const target = edge.slice(edge.indexOf(' -> ') + 4, edge.lastIndexOf(':'));
    // Outside the namespace (DNS, the database, the internet) no policy of ours governs ingress.
    if (!workloadNames.has(target)) edges.add(edge);
    else if (ingress.has(edge)) edges.add(edge);
    else halfEdges.push(`egress without ingress: ${edge}`);
  }
  for (const edge of ingress) {
    const source = edge.slice(0, edge.indexOf(' -> '));
    if (!workloadNames.has(source)) edges.add(edge);
    else if (!egress.has(edge)) halfEdges.push(`ingress without egress: ${edge}`);
  }
  return { edges: [...edges].sort(), halfEdges: halfEdges.sort(), ingress: [...ingress].sort() };
}
