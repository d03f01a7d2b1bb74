import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '@webchat/config';
import { REPO_ROOT } from '@webchat/local-infra';
import { loadStarshipLimits, type StarshipLimits } from '@webchat/starship/src/config';
import type { PortClaim } from './ports';

export { REPO_ROOT };

export interface RunnerConfig {
  repo: string;
  /** Git-ignored; the private cluster, logs and the Starship prefix live here. */
  dataDir: string;
  ports: {
    postgres: number;
    orchestrator: number;
    federatedAuth: number;
    scopedAuth: number;
    webhookDispatcher: number;
    starship: number;
    demo: number;
    demoAlt: number;
  };
  /** Given: use that server and database instead of a private cluster. */
  databaseUrl: string | undefined;
  /** How long each service may take to become ready. */
  readyTimeoutMs: number;
  /** Starship's rate limits (STARSHIP_TOKEN_RATE, _BURST, STARSHIP_TOKEN_USE_RATE, _BURST). */
  starshipLimits: StarshipLimits;
  /** WEBCHAT_ECHO_BOT=1: also connect and run examples/echo-bot (on ECHO_BOT_PORT, default 3900). */
  echoBot?: { port: number };
}

const PORT_VARIABLES = {
  postgres: ['WEBCHAT_PG_PORT', 54320, 'the private PostgreSQL cluster'],
  orchestrator: ['ORCHESTRATOR_PORT', 4000, 'the orchestrator'],
  federatedAuth: ['FEDERATED_AUTH_PORT', 4100, 'federated-auth'],
  scopedAuth: ['SCOPED_AUTH_PORT', 4200, 'scoped-auth'],
  webhookDispatcher: ['WEBHOOK_DISPATCHER_PORT', 4300, "the webhook dispatcher's health endpoints"],
  starship: ['STARSHIP_PORT', 8080, 'Starship, the public edge'],
  demo: ['DEMO_PORT', 3000, 'the demo site (the allowed origin)'],
  demoAlt: ['DEMO_ALT_PORT', 3001, 'the second demo site (a not-allowed origin)'],
} as const;

type PortName = keyof typeof PORT_VARIABLES;

/** Reads the runner's environment; one error naming every bad variable. */
export function loadRunnerConfig(env: NodeJS.ProcessEnv = process.env): RunnerConfig {
  const problems: string[] = [];
  const ports = {} as RunnerConfig['ports'];
  for (const [name, [variable, fallback]] of Object.entries(PORT_VARIABLES) as Array<[PortName, (typeof PORT_VARIABLES)[PortName]]>) {
    const raw = env[variable];
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65535) problems.push(`${variable} must be a port (1-65535); got ${JSON.stringify(raw)}`);
    ports[name] = value;
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl) {
    try {
      const url = new URL(databaseUrl);
      if (!/^postgres(ql)?:$/.test(url.protocol)) problems.push('DATABASE_URL must be a postgres:// URL');
    } catch {
      problems.push('DATABASE_URL is not a URL');
    }
  }
  const dataDirRaw = env.WEBCHAT_DATA_DIR || join(REPO_ROOT, '.data');
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(dataDirRaw);
  if (/\s/.test(dataDir)) problems.push(`WEBCHAT_DATA_DIR must not contain whitespace (nginx and PostgreSQL paths): ${dataDir}`);
  const readyTimeoutMs = Number(env.WEBCHAT_READY_TIMEOUT_MS || 60_000);
  if (!Number.isFinite(readyTimeoutMs) || readyTimeoutMs <= 0) problems.push('WEBCHAT_READY_TIMEOUT_MS must be a positive number');
  const echoBotPort = Number(env.ECHO_BOT_PORT || 3900);
  if (env.WEBCHAT_ECHO_BOT === '1' && (!Number.isInteger(echoBotPort) || echoBotPort < 1 || echoBotPort > 65535)) problems.push('ECHO_BOT_PORT must be a port (1-65535)');
  let starshipLimits: StarshipLimits | undefined;
  try {
    starshipLimits = loadStarshipLimits(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !starshipLimits) throw new Error(`invalid environment:\n  - ${problems.join('\n  - ')}`);
  return { repo: REPO_ROOT, dataDir, ports, databaseUrl, readyTimeoutMs, starshipLimits, ...(env.WEBCHAT_ECHO_BOT === '1' ? { echoBot: { port: echoBotPort } } : {}) };
}

/** Every port the runner will bind, with what for and how to move it. */
export function portClaims(config: RunnerConfig): PortClaim[] {
  return (Object.entries(PORT_VARIABLES) as Array<[PortName, (typeof PORT_VARIABLES)[PortName]]>)
    .filter(([name]) => name !== 'postgres' || config.databaseUrl === undefined)
    .map(([name, [variable, , what]]): PortClaim => ({ port: config.ports[name], what, env: variable }))
    .concat(config.echoBot ? [{ port: config.echoBot.port, what: 'the echo bot (WEBCHAT_ECHO_BOT=1)', env: 'ECHO_BOT_PORT' }] : []);
}
