import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@webchat/testkit';
import type { Figures } from '../../src/results';
import { MODE } from './mode';

/** Where each test file leaves its figures; `pnpm hardening` turns them into RESULTS.md. */
export const FIGURES_DIR = join(REPO_ROOT, 'artifacts', 'hardening');

export type { Figures };

const SUMMED = ['casesTried', 'casesPassed', 'faultsTried', 'faultsSurvived', 'requestsSent', 'requestsAnswered'] as const;

export const figuresFile = (mode: string, name: string) => join(FIGURES_DIR, mode, `${name}.json`);

/** Adds to this file's figures for this run (a test file may record several times). */
export function recordFigures(name: string, figures: Figures): void {
  const file = figuresFile(MODE, name);
  mkdirSync(join(FIGURES_DIR, MODE), { recursive: true });
  let current: Figures & { pid?: number } = {};
  try {
    current = JSON.parse(readFileSync(file, 'utf8')) as Figures & { pid?: number };
  } catch {
    current = {};
  }
  // A test file runs in one jest worker: figures of another process are an earlier run's, replaced.
  if (current.pid !== process.pid) current = {};
  const next: Record<string, unknown> = { ...current, pid: process.pid, updatedAt: new Date().toISOString() };
  for (const key of SUMMED) if (figures[key] !== undefined) next[key] = (current[key] ?? 0) + figures[key]!;
  if (figures.notes) next.notes = { ...current.notes, ...figures.notes };
  writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
}
