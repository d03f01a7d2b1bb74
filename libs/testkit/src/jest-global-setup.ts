import { setUpTestDatabaseServer } from './test-cluster';
import { markTestRun, sweepLeftOwnClusters } from './own-clusters';

export default async function globalSetup(): Promise<void> {
  // Clusters of tests' own that a killed run left (see own-clusters.ts).
  await sweepLeftOwnClusters();
  markTestRun();
  await setUpTestDatabaseServer();
}
