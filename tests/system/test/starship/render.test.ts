import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ERROR_CODES, Problem, orchestratorRoutes } from '@webchat/contracts';
import { SERVER_KEEP_ALIVE_TIMEOUT_MS } from '@webchat/http-kit';
import { REPO_ROOT, nginxTest } from '@webchat/testkit';
import { orchestratorEnv } from '@webchat/orchestrator/src/config';
import { renderDemoPage } from '@webchat/starship/src/demo';
import { DEFAULTS, renderStarshipConfig, retryAfterSeconds, type StarshipRenderOptions } from '@webchat/starship/src/render';

const REPO = REPO_ROOT;
const base: StarshipRenderOptions = {
  mode: 'container',
  listenPort: 8080,
  orchestratorUpstream: '127.0.0.1:4000',
  prefixDir: '/tmp',
  assetsDir: '/usr/share/starship/assets',
};

const seconds = (duration: string) => {
  const [, n, unit] = /^(\d+)(ms|s|m)$/.exec(duration) ?? [];
  return Number(n) * (unit === 'ms' ? 0.001 : unit === 'm' ? 60 : 1);
};

describe('renderStarshipConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'starship-render-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The container logs to /dev/stdout, which nginx cannot open when its stdout is a socket (as under
  // Node's child_process); in a container it is a pipe. Only that one line is pointed at a file here.
  const accessLog = () => join(dir, 'access.log');

  it.each(['container', 'local'] as const)('renders a %s config that nginx -t accepts', async (mode) => {
    const text = renderStarshipConfig({ ...base, mode, prefixDir: dir, listenPort: 18080, demoPorts: [13000, 13001], accessLog: accessLog() });
    writeFileSync(join(dir, `${mode}.conf`), text);
    const result = await nginxTest(dir, `${mode}.conf`);
    expect(result.output).toContain('syntax is ok');
    expect(result.ok).toBe(true);
    expect(text).not.toMatch(/\{\{|\}\}/);
  });

  it('renders the container config from the command line, and nginx -t accepts it', async () => {
    const out = join(dir, 'cli', 'starship.conf');
    const { stdout } = await promisify(execFile)(
      join(REPO, 'node_modules/.bin/tsx'),
      ['services/starship/src/container-config.ts', '--out', out, '--upstream', 'localhost:4000', '--prefix', dir, '--token-rate', '5r/s', '--token-burst', '7', '--access-log', accessLog()],
      { cwd: REPO, encoding: 'utf8' },
    );
    expect(stdout).toContain('rendered container Starship config');
    const result = await nginxTest(dir, out);
    expect(result.ok).toBe(true);
  });

  it('listens on every address and logs to stdout/stderr in a container; on 127.0.0.1 with the demo site locally', () => {
    const container = renderStarshipConfig(base);
    expect(container).toMatch(/^\s*listen 8080;$/m);
    expect(container).toContain('access_log /dev/stdout starship_json;');
    expect(container).toContain('error_log stderr warn;');
    expect(container).not.toContain('demo customer site');

    const local = renderStarshipConfig({ ...base, mode: 'local', prefixDir: '/srv/x' });
    expect(local).toMatch(/^\s*listen 127\.0\.0\.1:8080;$/m);
    expect(local).toMatch(/^\s*listen 127\.0\.0\.1:3000;$/m);
    expect(local).toMatch(/^\s*listen 127\.0\.0\.1:3001;$/m);
    expect(local).toContain('root /srv/x/demo;');
    expect(local).toContain('access_log /srv/x/logs/access.log starship_json;');
  });

  it('proxies exactly the public routes of the orchestrator contract, each location exact and rate limited', () => {
    const text = renderStarshipConfig(base);
    const proxied = [...text.matchAll(/location (= |~ )?"?([^\s"]+)"? \{([^}]*)\}/g)]
      .filter(([, , , body]) => body?.includes('proxy_pass http://orchestrator'))
      .map(([, kind, path, body]) => ({ kind: kind?.trim() ?? 'prefix', path: path ?? '', limited: /limit_req zone=/.test(body ?? '') }));
    // A concrete URL per route: path parameters filled with a well-formed value.
    const example = (path: string) => path.replace(':conversationSid', `CH${'0'.repeat(32)}`);
    const matches = (loc: (typeof proxied)[number], url: string) => (loc.kind === '=' ? loc.path === url : loc.kind === '~' ? new RegExp(loc.path).test(url) : false);
    for (const route of orchestratorRoutes) {
      expect({ path: route.path, proxied: proxied.some((loc) => matches(loc, example(route.path))) }).toEqual({ path: route.path, proxied: true });
    }
    // Everything that mints, refreshes or uses a guest token is rate limited (the cached configuration read is not).
    // Held event streams are outside the budget (a per-address connection limit instead, checked below).
    const mustLimit = (path: string) => /^\^?\/v2\/(Webchat\/Token|WebChannels)/.test(path) && !/\/Events\$?$/.test(path);
    for (const loc of proxied) {
      // No prefix location: one spelling per route, everything else is nginx's 404.
      expect({ loc: loc.path, kind: loc.kind, limited: loc.limited || !mustLimit(loc.path) }).toEqual({ loc: loc.path, kind: expect.stringMatching(/^[=~]$/), limited: true });
      expect(orchestratorRoutes.some((route) => matches(loc, example(route.path)))).toBe(true);
    }
  });

  it("matches the orchestrator's limits: body size, and timeouts on both sides of the keep-alive", () => {
    // The orchestrator's defaults; its secrets have none, so stand-ins satisfy the schema.
    const defaults = orchestratorEnv.parse({ FINGERPRINT_SECRET: 'x'.repeat(32), IDENTITY_SECRETS_KEY: 'k'.repeat(43), LOG_IDENTITY_KEY: 'l'.repeat(43), SERVICE_AUTH_PRIVATE_KEY: 'stand-in' });
    const text = renderStarshipConfig(base);
    expect(text).toContain(`client_max_body_size ${DEFAULTS.clientMaxBodySize};`);
    expect(Number.parseInt(DEFAULTS.clientMaxBodySize, 10) * 1024).toBe(defaults.BODY_LIMIT_BYTES);
    const upstreamKeepalive = /upstream orchestrator \{[^}]*keepalive_timeout (\S+);/.exec(text)?.[1] ?? '';
    expect(seconds(upstreamKeepalive)).toBeLessThan(SERVER_KEEP_ALIVE_TIMEOUT_MS / 1000);
    const readTimeout = /proxy_read_timeout (\S+);/.exec(text)?.[1] ?? '';
    expect(seconds(readTimeout)).toBeGreaterThan(Math.max(defaults.FEDERATED_AUTH_TIMEOUT_MS, defaults.SCOPED_AUTH_TIMEOUT_MS) / 1000);
  });

  it("builds every problem body nginx returns from the contracts' error codes", () => {
    const text = renderStarshipConfig(base);
    const returns = [...text.matchAll(/return (\d{3}) '(\{"type".*\})';/g)];
    expect(returns.map(([, status]) => Number(status)).sort()).toEqual([400, 404, 405, 408, 411, 413, 414, 429, 431, 500, 501, 502, 503, 504, 505]);
    for (const [, status, body] of returns) {
      const problem = Problem.parse(JSON.parse((body ?? '').replace('$starship_request_id', 'abcdefgh12345678')));
      expect(problem.status).toBe(Number(status));
      expect(ERROR_CODES[problem.code].status).toBe(problem.status);
    }
    expect(text).toContain('"detail":"The body must be at most 32768 bytes"');
  });

  it('derives Retry-After from the rate', () => {
    expect(retryAfterSeconds('10r/s')).toBe(1);
    expect(retryAfterSeconds('30r/m')).toBe(2);
    expect(retryAfterSeconds('1r/m')).toBe(60);
    expect(renderStarshipConfig({ ...base, tokenRate: '20r/m', tokenBurst: 3 })).toMatch(/rate=20r\/m;[\s\S]*burst=3 nodelay;[\s\S]*Retry-After 3 always/);
  });

  it.each<[string, Partial<StarshipRenderOptions>]>([
    ['an upstream that would end the directive', { orchestratorUpstream: 'orchestrator:4000; include /etc/passwd' }],
    ['an upstream without a port', { orchestratorUpstream: 'orchestrator' }],
    ['a relative prefix', { prefixDir: 'tmp/starship' }],
    ['a path with a space', { assetsDir: '/srv/my assets' }],
    ['a path with a variable', { assetsDir: '/srv/$host' }],
    ['an unknown rate unit', { tokenRate: '10r/h' }],
    ['a port out of range', { listenPort: 70000 }],
    ['a demo port equal to the listen port', { mode: 'local', demoPorts: [8080] }],
    ['a bad duration', { proxyReadTimeout: '10 seconds' }],
    ['a burst of 0 (nginx refuses it)', { tokenBurst: 0 }],
    ['an unknown mode', { mode: 'cloud' as never }],
  ])('refuses %s', (_what, override) => {
    expect(() => renderStarshipConfig({ ...base, ...override })).toThrow(/must|mode/);
  });
});

describe('renderDemoPage', () => {
  it('bakes in the key and the Starship origin as JSON that cannot close its script element', () => {
    const page = renderDemoPage({ deploymentKey: 'dk_</script><script>alert(1)</script>', baseUrl: 'http://localhost:8080/ignored/path', allowedOrigins: ['http://localhost:3000'] });
    expect(page).not.toContain('__WEBCHAT_DEMO_CONFIG__');
    expect(page).not.toContain('</script><script>alert(1)');
    expect(page).toContain('"baseUrl":"http://localhost:8080"');
    const json = /<script type="application\/json" id="webchat-demo-config">(.*)<\/script>/.exec(page)?.[1] ?? '';
    expect(JSON.parse(json)).toEqual({
      deploymentKey: 'dk_</script><script>alert(1)</script>',
      baseUrl: 'http://localhost:8080',
      allowedOrigins: ['http://localhost:3000'],
    });
  });
});
