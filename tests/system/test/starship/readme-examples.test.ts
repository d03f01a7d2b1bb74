import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@webchat/testkit';
import { startSystem, type SystemUnderTest } from '@webchat/test-harness';
import { startEdge, type EdgeUnderTest } from '@webchat/test-harness';

/*
 * The README's first API examples, run as a reader would paste them (bash + curl) against the real system
 * behind a real Starship. Only the host and the demo key are swapped for this run's: everything else,
 * headers and quoting included, is the README's text.
 */

const DEMO_ORIGIN = 'http://localhost:3000';

/** The commands of the first ```sh block of "Public API": one per non-comment paragraph, continuations joined. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Public API (through Starship)'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

const run = (command: string) =>
  new Promise<string>((resolve, reject) => {
    execFile('bash', ['-c', command], { timeout: 15_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${command}\n${stderr}`)) : resolve(String(stdout))));
  });

describe('the README’s first API examples work when pasted', () => {
  let system: SystemUnderTest;
  let edge: EdgeUnderTest;
  let deploymentKey: string;

  beforeAll(async () => {
    system = await startSystem();
    edge = await startEdge({ orchestratorUpstream: new URL(system.orchestratorUrl).host });
    // As `npm start` seeds it: the security flag on, sensitivity medium, the demo site as the only allowed origin.
    system.setSecurityFlag(true);
    ({ deploymentKey } = await system.createAccount({ allowedOrigins: [DEMO_ORIGIN], fingerprintSensitivity: 'medium' }));
  });

  afterAll(async () => {
    await edge?.stop();
    await system?.stop();
  });

  it('configuration, a fingerprinted token and the public OpenAPI description, each answered as the README says', async () => {
    const commands = readmeCommands().map((command) =>
      command.replaceAll('http://localhost:8080', `http://127.0.0.1:${edge.port}`).replaceAll('DEMO_KEY', deploymentKey),
    );
    expect(commands).toHaveLength(3);
    const [configuration, token, openapi] = await Promise.all(commands.map(async (command) => JSON.parse(await run(command)) as Record<string, unknown>));
    expect(configuration).toMatchObject({ position: 'right', fields: expect.any(Array) });
    expect(token).toEqual({ token: expect.any(String), identity: expect.any(String), expiresAt: expect.any(String) });
    // Bound to the fingerprint of those headers: validating it without one is refused.
    const validated = await system.scopedAuth.validate(String(token?.token));
    expect(validated.body).toMatchObject({ status: 401, code: 'fingerprint_required' });
    const paths = Object.keys((openapi as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(expect.arrayContaining(['/v2/Webchat/Token', '/v2/Webchat/Configuration', '/v2/WebChannels']));
    expect(paths.filter((path) => !path.startsWith('/v2/'))).toEqual([]);
  });
});
