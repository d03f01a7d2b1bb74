import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateServiceKeyPair, privateKeyFile, publicKeyFile, SERVICE_NAMES } from '@webchat/service-auth';
import { REPO_ROOT, isProcessAlive, waitForHttp } from '@webchat/testkit';
import { generateEncryptionSecret, generateSigningKeyPem } from '@webchat/scoped-auth/src/domain/key-material';

const SERVICES_DIR = path.join(REPO_ROOT, 'services');

export interface ServiceProcessHandle {
  name: string;
  pid: number;
  /** A full collection, when the process was started with `collectable`. */
  collect(): void;
  url: string;
  logFile: string;
  /** SIGTERM (the drain), SIGKILL after `graceMs`; resolves with how it ended. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Key files a production deployment mounts, made for this run in `dir`. */
export interface KeyFiles {
  serviceKeysDir: string;
  signingDir: string;
  encryptionDir: string;
  /** LOG_IDENTITY_KEY, the same for every service. */
  logIdentityKey: string;
  /** Every secret written, for the log scan. */
  secrets: string[];
}

export function writeKeyFiles(dir: string): KeyFiles {
  const serviceKeysDir = path.join(dir, 'service-keys');
  const signingDir = path.join(dir, 'signing');
  const encryptionDir = path.join(dir, 'encryption');
  for (const folder of [serviceKeysDir, signingDir, encryptionDir]) fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const secrets: string[] = [];
  for (const name of SERVICE_NAMES) {
    const pair = generateServiceKeyPair();
    fs.writeFileSync(privateKeyFile(serviceKeysDir, name), pair.privateKeyPem, { mode: 0o600 });
    fs.writeFileSync(publicKeyFile(serviceKeysDir, name), pair.publicKeyPem);
    secrets.push(pair.privateKeyPem.split('\n')[1]!);
  }
  const signingPem = generateSigningKeyPem();
  fs.writeFileSync(path.join(signingDir, 'sig-1.pem'), signingPem, { mode: 0o600 });
  secrets.push(signingPem.split('\n')[1]!);
  const encryptionSecret = generateEncryptionSecret();
  fs.writeFileSync(path.join(encryptionDir, 'enc-1.key'), encryptionSecret, { mode: 0o600 });
  secrets.push(encryptionSecret);
  const logIdentityKey = randomBytes(32).toString('base64url');
  secrets.push(logIdentityKey);
  return { serviceKeysDir, signingDir, encryptionDir, logIdentityKey, secrets };
}

/**
 * One service as its own process, exactly as deployed minus the container: `node --import tsx
 * src/start.ts` with a production environment, stdout and stderr into `logFile`.
 */
/** Node flags that let the soak force a full collection (SIGUSR2) and report the live heap after it. */
export const COLLECTABLE = ['--expose-gc', '--require', path.join(__dirname, 'gc-on-signal.cjs')];

/** Where a collectable process writes its live heap after each forced collection. */
export const heapReportFile = (logFile: string) => `${logFile}.heap.json`;

export async function spawnService(name: string, port: number, env: Record<string, string>, logDir: string, nodeArgs: string[] = []): Promise<ServiceProcessHandle> {
  const logFile = path.join(logDir, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join('src', 'start.ts')], {
    cwd: path.join(SERVICES_DIR, name),
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', WEBCHAT_HEAP_REPORT: heapReportFile(logFile), ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/readyz`, {
      timeoutMs: 60_000,
      abortIf: () => (child.exitCode !== null ? new Error(`${name} exited with ${child.exitCode}:\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`) : undefined),
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    name,
    pid: child.pid!,
    collect: () => {
      if (nodeArgs.includes('--expose-gc') && child.exitCode === null) child.kill('SIGUSR2');
    },
    url,
    logFile,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

export interface ProcessSample {
  rssKb: number;
  fds: number;
}

/**
 * Resident memory and open descriptors of a live process, from /proc. Shared memory (RssShmem) is left out:
 * nginx's limit_req zones are fixed-size shared mappings whose pages become resident as new keys (tokens,
 * addresses) arrive, so they rise under a soak of fresh tokens without anything leaking, up to the zone's size.
 * What a leak lifts is private memory: anonymous pages and mapped files. A Node process has no shared memory.
 */
export function sampleProcess(pid: number): ProcessSample | undefined {
  if (!isProcessAlive(pid)) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    const rssKb = kb('VmRSS') - kb('RssShmem');
    return { rssKb, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}
