import { resolve } from 'node:path';
import { REPO_ROOT } from '@webchat/testkit';

/** The repository root: every deployment file is addressed from here. */
export { REPO_ROOT };
export const repoPath = (...parts: string[]): string => resolve(REPO_ROOT, ...parts);
