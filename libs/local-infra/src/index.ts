// Real infrastructure as child processes: the local runner (`npm start`) and the tests both start Postgres and
// nginx this way. Never imported by a service.
export * from './databases';
export * from './nginx';
export * from './postgres';
export { childPids, isProcessAlive, killQuietly, pidsMatching, procStatFields, readCmdline } from './proc';
export * from './process';
export { REPO_ROOT } from './paths';
