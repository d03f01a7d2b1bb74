import { resolve } from 'node:path';

/** The repository root: the local runner's data folder, the test cluster and the scripts all hang off it. */
export const REPO_ROOT = resolve(__dirname, '../../..');
