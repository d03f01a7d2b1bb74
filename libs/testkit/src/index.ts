// What tests add on top of the local infrastructure: the jest global Postgres, a fresh database per test file,
// the OpenAPI checker. The infrastructure itself (Postgres, nginx, ports, /proc) is @webchat/local-infra.
export * from '@webchat/local-infra';
export * from './databases';
export { setUpTestDatabaseServer, tearDownTestDatabaseServer } from './test-cluster';
export * from './openapi';
export { createOwnClusterDir, releaseOwnCluster, removeOwnClusters, seedOwnClusterData, sweepLeftOwnClusters, OWN_CLUSTER_DATA } from './own-clusters';
