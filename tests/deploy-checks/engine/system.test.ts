/**
 * The whole system in containers, from the repository's own docker-compose.yml: images built from the services'
 * Dockerfiles (engine/run.sh), Postgres, the migrations, the demo seed, the three services with two orchestrator
 * replicas, Starship and the demo site started by docker-compose on the private engine, and checked from the host
 * through Starship on 127.0.0.1 as a browser would reach it.
 */
import { readFileSync } from 'node:fs';
import { Problem, WebChannel, WebChannelWithMessages, WebchatTokenResponse } from '@webchat/contracts';
import { getFreePort } from '@webchat/testkit';
import { browserHeaders, postJson, rawRequest as request } from '@webchat/test-harness';
import { ComposeProject, type ContainerState } from './compose-project';
import { runSteadyLoad } from './steady-load';

const PROJECT = process.env.WEBCHAT_CI_PROJECT ?? 'webchat-ci';
const ONE_SHOTS = ['migrate', 'seed-demo'];
/** Everything of ours that keeps running (postgres is the official image's business, and runs as root to start). */
const HARDENED = ['scoped-auth', 'federated-auth', 'orchestrator', 'starship', 'demo'];
const DEMO_ORIGIN = 'http://localhost:3000';
const NOT_ALLOWED_ORIGIN = 'http://localhost:3001';
const TOKEN = '/v2/Webchat/Token';

let project: ComposeProject;
let containers: ContainerState[];
let deploymentKey: string;
let port: number;
let downDone = false;

const running = (service: string) => containers.filter((c) => c.service === service && c.running);
/** The real and effective uid of a process, as the host's kernel reports them. */
function hostUids(pid: number): { real: number; effective: number } {
  const [, real, effective] = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8')) ?? [];
  return { real: Number(real ?? 0), effective: Number(effective ?? 0) };
}

async function mintDemoToken(): Promise<string> {
  const response = await postJson(port, TOKEN, { deploymentKey }, { ...browserHeaders(), origin: DEMO_ORIGIN });
  expect(response.status).toBe(200);
  return WebchatTokenResponse.parse(response.json()).token;
}

beforeAll(async () => {
  const [starship, demo, demoAlt] = [await getFreePort(), await getFreePort(), await getFreePort()];
  project = new ComposeProject(PROJECT, { starship, demo, demoAlt });
  port = starship;
  deploymentKey = project.made.values.get('DEMO_DEPLOYMENT_KEY') ?? '';
  await project.compose(['up', '-d', '--no-build', '--scale', 'orchestrator=2']);
  containers = await project.waitUntilReady(ONE_SHOTS, 180_000);
}, 240_000);

afterAll(async () => {
  if (project && !downDone) await project.compose(['down', '-v', '--remove-orphans', '-t', '5']).catch(() => undefined);
  project?.removeFiles();
}, 120_000);

describe('the system started by docker-compose from docker-compose.yml', () => {
  test('every long-running container turns healthy, the migrations and the demo seed exit 0, and two orchestrators run', () => {
    const longRunning = containers.filter((c) => !ONE_SHOTS.includes(c.service));
    expect(longRunning.map((c) => [c.service, c.health]).sort()).toEqual(
      [['demo', 'healthy'], ['federated-auth', 'healthy'], ['orchestrator', 'healthy'], ['orchestrator', 'healthy'], ['postgres', 'healthy'], ['scoped-auth', 'healthy'], ['starship', 'healthy'], ['webhook-dispatcher', 'healthy']],
    );
    expect(containers.filter((c) => ONE_SHOTS.includes(c.service)).map((c) => [c.service, c.running, c.exitCode]).sort()).toEqual([
      ['migrate', false, 0],
      ['seed-demo', false, 0],
    ]);
  });

  test('our containers run as a non-root user on a read-only root filesystem', async () => {
    for (const container of containers.filter((c) => HARDENED.includes(c.service) || ONE_SHOTS.includes(c.service))) {
      expect({ name: container.name, readOnlyRootfs: container.readOnlyRootfs }).toEqual({ name: container.name, readOnlyRootfs: true });
      expect(['', 'root', '0']).not.toContain(container.user);
    }
    for (const container of containers.filter((c) => HARDENED.includes(c.service) && c.running)) {
      // What the kernel says about the main process, from the host (no user namespace: the same uid).
      const { real, effective } = hostUids(container.pid);
      expect({ name: container.name, nonRoot: real > 0 && effective > 0 }).toEqual({ name: container.name, nonRoot: true });
      const write = await project.docker(['exec', container.id, 'sh', '-c', 'touch /written-by-test 2>&1 || true']);
      expect({ name: container.name, write: write.trim() }).toEqual({ name: container.name, write: expect.stringContaining('Read-only file system') as unknown });
    }
  });
});

describe('through the containerized Starship on 127.0.0.1', () => {
  test('when the demo page asks for a token from its allowed origin, then 200, a token, and exactly that origin in ACAO', async () => {
    const response = await postJson(port, TOKEN, { deploymentKey }, { ...browserHeaders(), origin: DEMO_ORIGIN });
    expect(response.status).toBe(200);
    expect(WebchatTokenResponse.parse(response.json()).token.length).toBeGreaterThan(100);
    expect(response.all('access-control-allow-origin')).toEqual([DEMO_ORIGIN]);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  test('when the origin is not allowed, then 403 origin_not_allowed and no token', async () => {
    const response = await postJson(port, TOKEN, { deploymentKey }, { ...browserHeaders(), origin: NOT_ALLOWED_ORIGIN });
    expect(response.status).toBe(403);
    const problem = Problem.parse(response.json());
    expect(problem.code).toBe('origin_not_allowed');
    expect(response.text).not.toContain('"token"');
  });

  test('a CORS preflight from the allowed origin is answered with that origin and the widget headers', async () => {
    const response = await request(port, {
      method: 'OPTIONS',
      path: TOKEN,
      headers: { origin: DEMO_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-webchat-sec-usersettings' },
    });
    expect(response.status).toBe(204);
    expect(response.all('access-control-allow-origin')).toEqual([DEMO_ORIGIN]);
    expect(String(response.headers['access-control-allow-headers']).toLowerCase()).toContain('x-webchat-sec-usersettings');
  });

  test('with the token, a WebChannel is created with the welcome message and read back with its messages', async () => {
    const authorization = `Bearer ${await mintDemoToken()}`;
    const created = await postJson(port, '/v2/WebChannels', { customerFriendlyName: 'Ada' }, { ...browserHeaders(), origin: DEMO_ORIGIN, authorization });
    expect(created.status).toBe(201);
    const channel = WebChannel.parse(created.json());
    expect(channel.welcomeMessage.length).toBeGreaterThan(0);
    const posted = await postJson(port, `/v2/WebChannels/${channel.conversationSid}/Messages`, { body: 'hello from a container test' }, { ...browserHeaders(), origin: DEMO_ORIGIN, authorization });
    expect(posted.status).toBe(201);
    const read = await request(port, { path: `/v2/WebChannels/${channel.conversationSid}`, headers: { ...browserHeaders(), origin: DEMO_ORIGIN, authorization } });
    expect(read.status).toBe(200);
    expect(WebChannelWithMessages.parse(read.json()).messages.map((m) => m.body)).toContain('hello from a container test');
  });

  test('the widget bundle is served under /assets/, and the demo site embeds it with the demo key', async () => {
    const bundle = await request(port, { path: '/assets/webchat.js' });
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    expect(bundle.text).toContain('Webchat');
    const page = await request(project.ports.demo, { path: '/' });
    expect(page.status).toBe(200);
    // The page loads config.baseUrl + '/assets/webchat.js', with Starship's published address as baseUrl.
    expect(page.text).toContain(`"baseUrl":"http://localhost:${port}"`);
    expect(page.text).toContain("'/assets/webchat.js'");
    expect(page.text).toContain(deploymentKey);
  });
});

describe('two orchestrator replicas behind Starship', () => {
  test('when one is SIGKILLed under a steady load, then only requests in flight at that moment fail, and the survivor answers', async () => {
    // Four guests, each with its own token and conversation, each reading at most 4 times a second: Starship
    // limits every token to 5 requests a second (a 429 past its burst), and this test is about the kill, not that limit.
    const guests = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const authorization = `Bearer ${await mintDemoToken()}`;
        const created = await postJson(port, '/v2/WebChannels', {}, { ...browserHeaders(), origin: DEMO_ORIGIN, authorization });
        return { authorization, conversationSid: WebChannel.parse(created.json()).conversationSid };
      }),
    );
    const [victim, survivor] = running('orchestrator');
    if (!victim || !survivor) throw new Error('two orchestrator replicas should be running');
    const read = (client: number) => {
      const { authorization, conversationSid } = guests[client % guests.length]!;
      return request(port, { path: `/v2/WebChannels/${conversationSid}`, headers: { ...browserHeaders(), origin: DEMO_ORIGIN, authorization }, timeoutMs: 20_000 });
    };

    const run = await runSteadyLoad({ concurrency: 4, durationMs: 12_000, faultAtMs: 3000, minIntervalMs: 250, send: read, fault: () => project.docker(['kill', '--signal', 'KILL', victim.id]) });

    process.stdout.write(`steady load: ${run.results.length} requests, ${run.failures.length} failed, ${run.inFlightAtFault} in flight at the kill\n`);
    // The load went on after the kill (a loaded 2-core machine answers about one read per second per client).
    expect(run.results.filter((r) => r.startedAt > run.faultEndedAt).length).toBeGreaterThanOrEqual(4);
    // A failure is allowed only for a request that was already on its way when the replica died.
    expect(run.failures.filter((r) => r.startedAt > run.faultEndedAt)).toEqual([]);
    expect(run.failures.length).toBeLessThanOrEqual(run.inFlightAtFault);
    for (let i = 0; i < 10; i += 1) expect((await read(i)).status).toBe(200);
  }, 60_000);
});

describe('docker-compose down', () => {
  test('leaves no container, network or volume of the project behind', async () => {
    await project.compose(['down', '-v', '--remove-orphans', '-t', '5']);
    downDone = true;
    expect(await project.leftovers()).toEqual({ containers: [], networks: [], volumes: [] });
  }, 120_000);
});
