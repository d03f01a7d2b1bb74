/**
 * docker-compose.yml checks, offline: the Compose Specification JSON schema (the copy dclint ships),
 * compiled with ajv and reporting every error, then dclint's lint rules (its own schema pass reports
 * only the first error).
 */
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { ComposeFile } from './env-coverage';
import { repoPath } from './paths';

export const COMPOSE_FILE = repoPath('docker-compose.yml');
export const COMPOSE_SCHEMA_FILE = repoPath('node_modules/dclint/schemas/compose.schema.json');
export const DCLINT_CONFIG_FILE = repoPath('deploy/dclint.config.json');

/** Parses compose YAML as Docker Compose does (YAML 1.1 merge keys `<<:` included). */
export function parseCompose(text: string): ComposeFile {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as ComposeFile;
}

export const readCompose = (file = COMPOSE_FILE): { text: string; compose: ComposeFile } => {
  const text = readFileSync(file, 'utf8');
  return { text, compose: parseCompose(text) };
};

let validator: ReturnType<Ajv['compile']> | undefined;

/** Every schema error, as `path message`; [] when valid. */
export function composeSchemaErrors(compose: unknown): string[] {
  if (!validator) {
    const { $schema, ...schema } = JSON.parse(readFileSync(COMPOSE_SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    // It is draft-07 (ajv's default), but names the meta-schema by an https URL ajv does not know.
    if ($schema !== 'https://json-schema.org/draft-07/schema') throw new Error(`unexpected compose schema dialect ${String($schema)}`);
    // strict: false: the spec uses annotations ajv's strict mode rejects (e.g. `deprecated`).
    validator = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
  }
  if (validator(compose)) return [];
  return (validator.errors ?? []).map((error) => {
    const extra = error.keyword === 'additionalProperties' ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})` : '';
    return `${error.instancePath || '/'} ${error.message ?? 'is invalid'}${extra}`;
  });
}

interface DclintMessage {
  rule: string;
  type: 'error' | 'warning';
  message: string;
  line: number;
}
interface DclintResult {
  filePath: string;
  messages: DclintMessage[];
}
interface DclintConfig {
  rules: Record<string, number | [number, Record<string, unknown>]>;
  quiet: boolean;
  debug: boolean;
  exclude: string[];
}
interface DclintModule {
  DCLinter: new (config: DclintConfig) => { lintFiles(paths: string[], recursive: boolean): DclintResult[] };
}

/** dclint (schema + lint rules) on a compose file, with the project's rule settings. */
export function dclint(file = COMPOSE_FILE): string[] {
  const settings = JSON.parse(readFileSync(DCLINT_CONFIG_FILE, 'utf8')) as Pick<DclintConfig, 'rules'>;
  const { DCLinter } = require('dclint') as DclintModule;
  const linter = new DCLinter({ rules: settings.rules, quiet: false, debug: false, exclude: [] });
  return linter
    .lintFiles([file], false)
    .flatMap((result) => result.messages)
    .map((m) => `${m.type} ${m.rule} (line ${m.line}): ${m.message}`);
}

/** Names used in `${NAME}`, `${NAME:-default}`, `${NAME:?message}` interpolations. */
export function interpolatedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+][^}]*)?\}/g)) names.add(match[1] as string);
  return [...names].sort();
}

/**
 * Compose's `${...}` interpolation of one value from `.env` values (the forms used here): `${X}`,
 * `${X:-default}`, `${X:?message}` (throws, as compose refuses to start).
 */
export function interpolate(value: string, env: Map<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (_all, name: string, op: string | undefined, arg: string | undefined) => {
    const current = env.get(name);
    const empty = current === undefined || (op?.startsWith(':') && current === '');
    if (op?.endsWith('?') && empty) throw new Error(`required variable ${name} is missing a value: ${arg ?? ''}`);
    if (op?.endsWith('-') && empty) return arg ?? '';
    return current ?? '';
  });
}
