/**
 * The NetworkPolicies, read back as a graph, must allow exactly the edges of the sequence diagram:
 * Browser → Starship → orchestrator → federated-auth → scoped-auth, orchestrator → scoped-auth
 * (validate), orchestrator → Postgres, plus DNS for every pod and LaunchDarkly for the orchestrator.
 */
import { networkGraph } from '../src/network-graph';
import { renderKustomization } from '../src/kubectl';

/** The database's private range per layer (each overlay sets it; the base holds a placeholder). */
const DATABASE_CIDR: Record<string, string> = {
  'k8s/base': '10.0.100.0/24',
  'k8s/overlays/dev': '10.10.0.0/24',
  'k8s/overlays/prod': '10.20.0.0/24',
};

const WORKLOADS = ['starship', 'orchestrator', 'federated-auth', 'scoped-auth', 'webhook-dispatcher'];

const DIAGRAM_EDGES = [
  'anywhere -> starship:8080/TCP', // the browser, through the LoadBalancer
  'starship -> orchestrator:4000/TCP',
  'orchestrator -> federated-auth:4100/TCP',
  'orchestrator -> scoped-auth:4200/TCP', // token validation (WebChannels, refresh)
  'federated-auth -> scoped-auth:4200/TCP',
  'orchestrator -> postgres:5432/TCP',
  'webhook-dispatcher -> postgres:5432/TCP', // the outbox and its job queue (issue 15)
];
const SUPPORT_EDGES = [
  'orchestrator -> internet:443/TCP', // LaunchDarkly
  'webhook-dispatcher -> internet:*/TCP', // customers' webhook receivers (any port, public addresses only)
  ...WORKLOADS.flatMap((w) => [`${w} -> kube-dns:53/UDP`, `${w} -> kube-dns:53/TCP`]),
];

describe.each(Object.keys(DATABASE_CIDR))('NetworkPolicies of %s', (layer) => {
  const objects = renderKustomization(layer);
  const graph = networkGraph(objects, { ipBlocks: { [DATABASE_CIDR[layer] as string]: 'postgres' } });

  test('a default deny-all selects every pod, for ingress and egress', () => {
    const denyAll = objects.filter(
      (o) =>
        o.kind === 'NetworkPolicy' &&
        JSON.stringify((o.spec as { podSelector: unknown }).podSelector) === '{}' &&
        !(o.spec as { ingress?: unknown }).ingress &&
        !(o.spec as { egress?: unknown }).egress,
    );
    expect(denyAll.map((o) => (o.spec as { policyTypes: string[] }).policyTypes)).toEqual([['Ingress', 'Egress']]);
  });

  test('the allowed edges are exactly the diagram\'s, plus DNS and LaunchDarkly', () => {
    expect(graph.edges).toEqual([...DIAGRAM_EDGES, ...SUPPORT_EDGES].sort());
  });

  test('every egress rule between workloads has its matching ingress rule, and the reverse', () => {
    expect(graph.halfEdges).toEqual([]);
  });

  test('nothing but federated-auth and the orchestrator can reach scoped-auth, whatever other pods\' egress says', () => {
    const admitted = graph.ingress.filter((edge) => edge.includes(' -> scoped-auth:')).map((edge) => edge.split(' -> ')[0]);
    expect(admitted.sort()).toEqual(['federated-auth', 'orchestrator']);
  });
});

describe('the graph check on a broken copy', () => {
  test('when a policy also admits Starship into scoped-auth, then the edge list and the scoped-auth check both change', () => {
    const objects = structuredClone(renderKustomization('k8s/overlays/prod'));
    const policy = (name: string) => objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata?.name === name)?.spec as {
      ingress?: Array<{ from: unknown[] }>;
      egress?: Array<{ to: unknown[]; ports: unknown[] }>;
    };
    policy('scoped-auth').ingress?.[0]?.from.push({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'starship' } } });
    const halfOpen = networkGraph(objects, { ipBlocks: { '10.20.0.0/24': 'postgres' } });
    expect(halfOpen.ingress).toContain('starship -> scoped-auth:4200/TCP');
    expect(halfOpen.halfEdges).toEqual(['ingress without egress: starship -> scoped-auth:4200/TCP']);
    policy('starship').egress?.push({
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'scoped-auth' } } }],
      ports: [{ protocol: 'TCP', port: 4200 }],
    });
    const open = networkGraph(objects, { ipBlocks: { '10.20.0.0/24': 'postgres' } });
    expect(open.edges).toContain('starship -> scoped-auth:4200/TCP');
    expect(open.edges).not.toEqual([...DIAGRAM_EDGES, ...SUPPORT_EDGES].sort());
  });
});
