import { tearDownTestDatabaseServer } from './test-cluster';
import { sweepLeftOwnClusters } from './own-clusters';

export default async function globalTeardown(): Promise<void> {
  try {
    await tearDownTestDatabaseServer();
  } finally {
    // Clusters of tests' own left by this run or by a killed one (see own-clusters.ts).
    await sweepLeftOwnClusters();
  }
}
