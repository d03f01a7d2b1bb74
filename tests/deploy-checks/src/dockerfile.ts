/**
 * A small Dockerfile reader for static checks (no Docker engine here): instructions with their
 * continuation lines joined, grouped into build stages, with ARG defaults substituted in FROM.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  /** The image after FROM's ARG substitution, e.g. `node:20-bookworm-slim`. */
  from: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    if (!pending) startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    const [keyword = '', ...rest] = full.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: startLine });
  });

  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = instruction.args.split('=');
      args[name] = value;
      continue;
    }
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      const from = image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_all, arg: string) => args[arg] ?? '');
      stages.push({ from, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
    stage.instructions.push(instruction);
  }
  return { args, stages };
}

export const readDockerfile = (file: string) => parseDockerfile(readFileSync(file, 'utf8'));

/** The JSON-array (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const start = args.indexOf('[');
  if (start < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(args.slice(start));
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`) as a map. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== 'ENV') continue;
    if (!args.includes('=')) {
      const [name = '', ...value] = args.split(/\s+/);
      env[name] = value.join(' ');
      continue;
    }
    for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      env[match[1] as string] = (match[2] ?? '').replace(/^"|"$/g, '');
    }
  }
  return env;
}
