import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, databaseUrl, getFreePort, startPrivatePostgres } from '@webchat/testkit';
import { migrateUp } from '@webchat/orchestrator/src/data-access/migrate';

/**
 * A Postgres cluster of the test's own, migrated, that the test may stop and start again (the shared
 * test cluster must never go down under other suites).
 */
export interface OwnCluster {
  url: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  remove(): Promise<void>;
}

export async function startOwnCluster(prefix: string): Promise<OwnCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dataDir = path.join(dir, 'pgdata');
  const port = await getFreePort();
  let cluster = await startPrivatePostgres({ dataDir, port });
  let running = true;
  await createDatabase(cluster.url, 'webchat');
  const url = databaseUrl(cluster.url, 'webchat');
  await migrateUp(url);
  return {
    url,
    async stop() {
      await cluster.stop();
      running = false;
    },
    async restart() {
      cluster = await startPrivatePostgres({ dataDir, port });
      running = true;
    },
    async remove() {
      if (running) await cluster.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
