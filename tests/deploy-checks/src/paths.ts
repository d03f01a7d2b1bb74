import { resolve } from 'node:path';

/** The repository root: every deployment file is addressed from here. */
export const REPO_ROOT = resolve(__dirname, '../../..');
export const repoPath = (...parts: string[]): string => resolve(REPO_ROOT, ...parts);
