import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, getFreePort, waitForHttp } from '@webchat/testkit';
import { publicKeyFile, SERVICE_NAMES } from '@webchat/service-auth';
import { startSystem, type SystemUnderTest } from './system';

/** The second process runs the orchestrator's real start.ts, from its own package. */
const ORCHESTRATOR_DIR = path.join(REPO_ROOT, 'services', 'orchestrator');

/** The test system's service keys as files, as a deployed orchestrator process reads them. */
export function writeServiceKeyFiles(system: SystemUnderTest): string {
  const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestrator-keys-'));
  for (const name of SERVICE_NAMES) {
    fs.writeFileSync(publicKeyFile(keysDir, name), system.identities.publicKeys[name].export({ type: 'spki', format: 'pem' }));
  }
  fs.writeFileSync(path.join(keysDir, 'orchestrator.key.pem'), system.identities.privateKeys.orchestrator.export({ type: 'pkcs8', format: 'pem' }));
  return keysDir;
}

/** Prometheus counter total from a /metrics text (all label sets summed). */
export async function counterTotal(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** A real orchestrator process (tsx src/start.ts) wired to the test system's token services and database. */
export async function startOrchestratorProcess(
  system: SystemUnderTest,
  dbUrl: string,
  keysDir: string,
  extraEnv: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await getFreePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ORCHESTRATOR_DIR, 'src/start.ts')], {
    cwd: ORCHESTRATOR_DIR,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: dbUrl,
      FEDERATED_AUTH_URL: system.federatedAuthUrl,
      SCOPED_AUTH_URL: system.scopedAuth.url,
      SERVICE_AUTH_PRIVATE_KEY: `@${path.join(keysDir, 'orchestrator.key.pem')}`,
      SERVICE_AUTH_PUBLIC_KEYS_DIR: keysDir,
      FINGERPRINT_SECRET: 'x'.repeat(40),
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/readyz`, { timeoutMs: 120_000, abortIf: () => (child.exitCode !== null ? new Error(`exited with ${child.exitCode}`) : undefined) });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`orchestrator process did not get ready: ${String(err)}\n${stderr}`);
  }
  return {
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export type OrchestratorProcess = Awaited<ReturnType<typeof startOrchestratorProcess>>;

/**
 * A test system with two real orchestrator processes on its database, as two replicas behind one edge (caches
 * and LISTEN/NOTIFY feeds as deployed). `stop` ends the replicas, removes their key files and stops the system.
 */
export async function startSystemWithTwoReplicas(extraEnv: Record<string, string> = {}): Promise<{ system: SystemUnderTest; replicas: [OrchestratorProcess, OrchestratorProcess]; stop(): Promise<void> }> {
  const system = await startSystem();
  const keysDir = writeServiceKeyFiles(system);
  const started = await Promise.allSettled([startOrchestratorProcess(system, system.databaseUrl, keysDir, extraEnv), startOrchestratorProcess(system, system.databaseUrl, keysDir, extraEnv)]);
  const stop = async () => {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
    fs.rmSync(keysDir, { recursive: true, force: true });
    await system.stop();
  };
  const [a, b] = started;
  if (a?.status !== 'fulfilled' || b?.status !== 'fulfilled') {
    await stop();
    throw (a?.status === 'rejected' ? a.reason : b?.status === 'rejected' ? b.reason : new Error('no replica')) as Error;
  }
  return { system, replicas: [a.value, b.value], stop };
}
