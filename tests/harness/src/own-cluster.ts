import fs from 'node:fs';
import path from 'node:path';
import { OWN_CLUSTER_DATA, createDatabase, createOwnClusterDir, databaseUrl, getFreePort, releaseOwnCluster, seedOwnClusterData, startPrivatePostgres } from '@webchat/testkit';
import { migrateUp } from '@webchat/orchestrator/src/data-access/migrate';

export { removeOwnClusters } from '@webchat/testkit';

/**
 * A Postgres cluster of the test's own, migrated, that the test may stop and start again (the shared
 * test cluster must never go down under other suites). Registered with testkit's own-clusters: a test that
 * times out before `remove()` has it stopped by `afterAll(removeOwnClusters)`, or else by the jest global
 * teardown; one of a killed run by the next run's global setup.
 */
export interface OwnCluster {
  url: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  remove(): Promise<void>;
}

export async function startOwnCluster(prefix: string): Promise<OwnCluster> {
  const dir = createOwnClusterDir(prefix);
  const dataDir = path.join(dir, OWN_CLUSTER_DATA);
  await seedOwnClusterData(dataDir);
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
      releaseOwnCluster(dir);
    },
  };
}
