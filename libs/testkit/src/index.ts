export * from './databases';
export * from './nginx';
export * from './postgres';
export { childPids, isProcessAlive, killQuietly, pidsMatching, procStatFields, readCmdline } from './proc';
export * from './process';
export { REPO_ROOT, setUpTestDatabaseServer, tearDownTestDatabaseServer } from './test-cluster';
export * from './openapi';
