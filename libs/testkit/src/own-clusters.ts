import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { REPO_ROOT, getFreePort, isProcessAlive, killQuietly, postgresBinDir, postgresProcesses, startPrivatePostgres } from '@webchat/local-infra';

/*
 * Folders of Postgres clusters a test starts for itself (to stop and restart it without touching the shared
 * one). pg_ctl detaches the postmaster, so a test that never reaches its `finally` (a jest timeout) or a run
 * that is killed would leave the cluster running. Hence a registry:
 * - in the test file: `afterAll(removeOwnClusters)` stops every cluster the file still has;
 * - on disk: each folder's OWNER_FILE names the process that made it and the jest run it belongs to. The jest
 *   global teardown removes what its own run left; the global setup (and teardown) what a killed run left,
 *   whose process is gone. (Exit hooks in the test process do not help: jest's test environment does not
 *   run them, and SIGKILL runs nothing.)
 */
const OWNER_FILE = 'own-cluster.owner';
export const OWN_CLUSTER_DATA = 'pgdata';

const registered = new Set<string>();

/** Set by the jest global setup to its pid; test processes (workers or in band) inherit it. */
const RUN_ENV = 'WEBCHAT_TEST_RUN';
const runPid = () => Number(process.env[RUN_ENV]) || 0;

/** The jest global setup: this process is the run that the clusters its tests make belong to. */
export function markTestRun(): void {
  process.env[RUN_ENV] = String(process.pid);
}

/** A fresh folder for a cluster of the test's own (its data in `<dir>/pgdata`), registered until `releaseOwnCluster`. */
export function createOwnClusterDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, OWNER_FILE), `${process.pid} ${runPid()}\n`);
  registered.add(dir);
  return dir;
}

/**
 * Fills `dataDir` with a copy of an initdb'd cluster kept under .data (made on first use, per PostgreSQL
 * build): initdb is most of a new cluster's start-up, 2-3 s on a busy machine, and a fresh copy is the same
 * empty cluster. Made in a scratch folder and renamed into place, so a concurrent worker never copies half.
 */
export async function seedOwnClusterData(dataDir: string): Promise<void> {
  const templates = join(REPO_ROOT, '.data', 'own-cluster-template');
  const template = join(templates, createHash('sha1').update(postgresBinDir()).digest('hex').slice(0, 10));
  if (!existsSync(join(template, OWN_CLUSTER_DATA, 'PG_VERSION'))) {
    mkdirSync(templates, { recursive: true });
    const scratch = mkdtempSync(join(templates, 'making-'));
    try {
      const made = await startPrivatePostgres({ dataDir: join(scratch, OWN_CLUSTER_DATA), port: await getFreePort() });
      await made.stop();
      renameSync(scratch, template);
    } catch (error) {
      if (!existsSync(join(template, OWN_CLUSTER_DATA, 'PG_VERSION'))) throw error;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  // -a keeps the owner (user postgres, when tests run as root) and the 0700 mode PostgreSQL insists on.
  execFileSync('cp', ['-a', join(template, OWN_CLUSTER_DATA), dataDir]);
}

/** The cluster was stopped and its folder removed by its test. */
export function releaseOwnCluster(dir: string): void {
  registered.delete(dir);
}

/** Kills the postmaster and its backends (throwaway data: no shutdown checkpoint needed), then removes the folder. */
async function destroy(dir: string): Promise<void> {
  const data = join(dir, OWN_CLUSTER_DATA);
  for (const pid of postgresProcesses(data)) killQuietly(pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (postgresProcesses(data).length > 0 && Date.now() < deadline) await delay(50);
  rmSync(dir, { recursive: true, force: true });
}

/** afterAll: stops every cluster this file started and did not remove itself (its test timed out, say). */
export async function removeOwnClusters(): Promise<void> {
  const dirs = [...registered];
  registered.clear();
  await Promise.all(dirs.map(destroy));
}

/**
 * Clusters left behind: by this jest run (its tests are over when its global teardown runs) or by a process
 * that is gone (a killed run). Stopped and removed; returns their folders.
 */
export async function sweepLeftOwnClusters(): Promise<string[]> {
  const left: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    const dir = join(tmpdir(), name);
    const ownerFile = join(dir, OWNER_FILE);
    if (!existsSync(ownerFile)) continue;
    let owner: number[];
    try {
      owner = readFileSync(ownerFile, 'utf8').trim().split(' ').map(Number);
    } catch {
      continue;
    }
    const [maker = 0, run = 0] = owner;
    if (run === process.pid || !(maker > 0 && isProcessAlive(maker))) left.push(dir);
  }
  await Promise.all(left.map(destroy));
  return left;
}
