import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Variables that hold secrets: in production each must be set, no generated default. */
  secrets?: readonly string[];
}

/**
 * The only modes. Anything else (`prod`, `Production`, `staging`) would silently run as development,
 * with generated keys, so it stops the service instead. Unset means development.
 */
export const NODE_ENVS = ['development', 'test', 'production'] as const;

function checkNodeEnv(env: NodeJS.ProcessEnv, problems: string[]): void {
  const value = env.NODE_ENV;
  if (value === undefined || value === '') return;
  if (!(NODE_ENVS as readonly string[]).includes(value)) {
    problems.push(`NODE_ENV: must be one of ${NODE_ENVS.join(', ')} (got ${JSON.stringify(value.slice(0, 40))}); anything else would run without production's checks`);
  }
}

/**
 * Whether the production rules apply. Every service asks this first (before generating any development
 * secret), so an unknown NODE_ENV stops it here, naming the variable, instead of running as development.
 */
export const isProductionEnv = (env: NodeJS.ProcessEnv): boolean => {
  const problems: string[] = [];
  checkNodeEnv(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return env.NODE_ENV === 'production';
};

/**
 * Validates the whole environment at once and fails listing every bad variable, not just the first,
 * so an operator fixes a Deployment in one go.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv, options: LoadOptions = {}): z.output<S> {
  const problems: string[] = [];
  checkNodeEnv(env, problems);
  if (isProductionEnv(env)) {
    for (const name of options.secrets ?? []) {
      if (!env[name]) problems.push(`${name}: required in production (a secret; no default is generated)`);
    }
  }
  // Empty strings are how unset values arrive from many orchestrators; treat them as unset.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const reported = new Set(problems.map((p) => p.split(':')[0]));
    for (const issue of result.error.issues) {
      const name = issue.path.join('.') || '(root)';
      if (reported.has(name)) continue; // already named as a missing production secret
      const missing = issue.code === 'invalid_type' && / received undefined$/.test(issue.message);
      problems.push(`${name}: ${missing ? `required (${issue.message})` : issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** "true"/"false"/"1"/"0", since z.coerce.boolean() would read "false" as true. */
export const envBoolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const envInt = (fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const envPort = (fallback: number) => envInt(fallback, { min: 0, max: 65535 });

export const envLogLevel = z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info');

export const envUrl = (fallback?: string) => (fallback ? z.url().default(fallback) : z.url());

/** Names of every variable a service reads, derived from its schema (deployment checks use it). */
export const configVariables = (schema: z.ZodObject): string[] => Object.keys(schema.shape).sort();

/**
 * Runs one parse step of a variable (a key file, a PEM) and records its failure under the variable's
 * name instead of throwing, so a config loader can report every bad variable together.
 */
export function collect<T>(problems: string[], variable: string, read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    problems.push(`${variable}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** A handler answering outside its declared contract fails the request in development and test; production reports it. */
export const contractViolationsFor = (env: NodeJS.ProcessEnv): 'fail' | 'report' => (isProductionEnv(env) ? 'report' : 'fail');
