import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGINX_BIN, nginxTest } from '@webchat/testkit';
import { readDockerfile } from '../src/dockerfile';
import { repoPath } from '../src/paths';
import { STARSHIP_CONTAINER } from '@webchat/starship/src/config';
import { STARSHIP_K8S_CONFIG, renderContainerStarshipConfig } from '@webchat/starship/src/container-config';

const committed = readFileSync(STARSHIP_K8S_CONFIG, 'utf8');

/** Replaces `from` exactly `times` times, so a changed template cannot slip past the substitution. */
function replaceExactly(text: string, from: string, to: string, times: number): string {
  const parts = text.split(from);
  if (parts.length - 1 !== times) throw new Error(`expected ${times} occurrence(s) of ${JSON.stringify(from)}, found ${parts.length - 1}`);
  return parts.join(to);
}

let dir: string;

/**
 * `nginx -t`. Not testkit's nginxTest: the config opens `access_log /dev/stdout` while testing, and
 * Node gives a child a socket as stdout, which /dev/stdout cannot reopen (ENXIO). A container's stdout
 * is a pipe or a file, so nginx gets a file here.
 */
function nginxT(file: string): { status: number | null; output: string } {
  const out = openSync(join(dir, 'nginx-t.out'), 'w');
  try {
    const result = spawnSync(NGINX_BIN, ['-t', '-p', `${dir}/`, '-c', file], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8', timeout: 30_000 });
    return { status: result.status, output: result.stderr };
  } finally {
    closeSync(out);
  }
}
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'starship-k8s-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the container Starship config (k8s/base/starship/nginx.conf, and the image)', () => {
  test('when rendered afresh from the template, then it equals the committed file (regenerate: pnpm tsx services/starship/src/container-config.ts)', () => {
    expect(committed).toBe(renderContainerStarshipConfig());
  });

  test('it is the container flavour: every address on 8080, the orchestrator Service upstream, logs to stdout/stderr, no demo site', () => {
    expect(committed).toContain('(mode container)');
    expect(committed).toMatch(/^\s*listen 8080;$/m);
    expect(committed).toMatch(/^\s*server orchestrator:4000;$/m);
    expect(committed).toContain('access_log /dev/stdout');
    expect(committed).toContain('error_log stderr');
    expect(committed).not.toMatch(/listen [^;]*:300[01];/);
    expect(committed).toContain(`alias ${STARSHIP_CONTAINER.assetsDir}/`);
  });

  test('when checked by nginx -t, then it is accepted', () => {
    // Two things only a cluster has: DNS for `orchestrator` (nginx resolves upstreams while testing)
    // and a writable /tmp of its own; both are swapped for local equivalents, nothing else changes.
    // Twice: the API upstream and the event-stream upstream name the same orchestrators.
    let text = replaceExactly(committed, `server ${STARSHIP_CONTAINER.orchestratorUpstream};`, 'server 127.0.0.1:4000;', 2);
    text = text.split(`${STARSHIP_CONTAINER.prefixDir}/`).join(`${dir}/`);
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, text);
    expect(nginxT(file)).toEqual({ status: 0, output: expect.stringContaining('test is successful') });
    // The check bites: the same text with one directive broken is refused.
    const broken = join(dir, 'broken.conf');
    writeFileSync(broken, replaceExactly(text, 'proxy_next_upstream error timeout;', 'proxy_next_upstream eror timeout;', 1));
    expect(nginxT(broken)).toEqual({ status: 1, output: expect.stringContaining('invalid value "eror"') });
  });

  test('the Starship image renders the same config with the same script, and runs as the nginx user from nginx:1.27-alpine', () => {
    const { stages } = readDockerfile(repoPath('services/starship/Dockerfile'));
    const runs = stages.flatMap((stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
    expect(runs).toContainEqual(expect.stringContaining('services/starship/src/container-config.ts --out /out/nginx.conf'));
    const runtime = stages[stages.length - 1]!;
    expect(runtime.from).toBe('nginx:1.27-alpine');
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContainEqual(`--from=build /out/nginx.conf ${STARSHIP_CONTAINER.configFile}`);
    expect(runtime.instructions.find((i) => i.keyword === 'USER')?.args).toBe('101');
    expect(runtime.instructions.find((i) => i.keyword === 'ENTRYPOINT')?.args).toContain(STARSHIP_CONTAINER.configFile);
  });
});

describe("the container config's rate limits (STARSHIP_TOKEN_*: build arguments of the image, passed by compose)", () => {
  const render = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', repoPath('services/starship/src/container-config.ts'), '--out', join(dir, 'limits.conf')], {
      cwd: repoPath('.'),
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  test('the committed copy holds the defaults: 10r/s burst 20 per address, 5r/s burst 30 per token', () => {
    expect(committed).toMatch(/zone=starship_token_per_ip:10m rate=10r\/s;/);
    expect(committed).toMatch(/zone=starship_per_token:32m rate=5r\/s;/);
    expect(committed).toContain('limit_req zone=starship_per_token burst=30 nodelay;');
  });

  test('when the image is built with other limits, then its config enforces those', () => {
    const built = render({ STARSHIP_TOKEN_USE_RATE: '2r/s', STARSHIP_TOKEN_USE_BURST: '4', STARSHIP_TOKEN_RATE: '30r/m' });
    expect({ status: built.status, stderr: built.stderr }).toEqual({ status: 0, stderr: '' });
    const text = readFileSync(join(dir, 'limits.conf'), 'utf8');
    expect(text).toMatch(/zone=starship_per_token:32m rate=2r\/s;/);
    expect(text).toContain('limit_req zone=starship_per_token burst=4 nodelay;');
    expect(text).toMatch(/zone=starship_token_per_ip:10m rate=30r\/m;/);
  }, 60_000);

  test('when a limit is invalid, then the image build stops naming the variable', () => {
    const built = render({ STARSHIP_TOKEN_USE_BURST: '-1' });
    expect(built.status).toBe(1);
    expect(built.stderr).toContain('STARSHIP_TOKEN_USE_BURST: ');
  }, 60_000);
});

describe('the compose demo site (deploy/compose/demo-nginx.conf)', () => {
  test('when checked by nginx -t, then it is accepted', async () => {
    const text = readFileSync(repoPath('deploy/compose/demo-nginx.conf'), 'utf8').split('/tmp/').join(`${dir}/demo-`);
    const file = join(dir, 'demo-nginx.conf');
    writeFileSync(file, text);
    expect(await nginxTest(dir, file)).toMatchObject({ ok: true });
  });
});
