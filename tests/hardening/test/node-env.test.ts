import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@webchat/testkit';

const SERVICES_DIR = path.join(REPO_ROOT, 'services');

/** Starts a service as deployed (tsx src/start.ts) and collects what it says until it exits. */
function startWith(service: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('src', 'start.ts')], {
      cwd: path.join(SERVICES_DIR, service),
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Issue 12: `NODE_ENV=prod` once started scoped-auth and federated-auth in development mode, with
 * generated keys. Every service accepts exactly development, test and production.
 */
describe('NODE_ENV is one of development, test, production, or the service does not start', () => {
  test.each(['scoped-auth', 'federated-auth', 'orchestrator'])('when %s is started with NODE_ENV=prod, then it exits non-zero naming NODE_ENV and generates nothing', async (service) => {
    const { code, output } = await startWith(service, { NODE_ENV: 'prod' });
    expect(code).not.toBe(0);
    expect(output).toContain('refusing to start: invalid configuration');
    expect(output).toMatch(/NODE_ENV: must be one of development, test, production/);
  }, 70_000);
});
