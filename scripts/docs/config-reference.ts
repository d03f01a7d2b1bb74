import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ORCHESTRATOR_SECRETS, orchestratorEnv } from '@webchat/orchestrator/src/config';
import { ScopedAuthEnv, SECRET_VARIABLES as SCOPED_AUTH_SECRETS } from '@webchat/scoped-auth/src/config';
import { FederatedAuthEnv, SECRET_VARIABLES as FEDERATED_AUTH_SECRETS } from '@webchat/federated-auth/src/config';
import { DISPATCHER_SECRETS, dispatcherEnv } from '@webchat/orchestrator/src/webhooks/config';
import { StarshipEnv } from '@webchat/starship/src/config';

/** Every service's environment, from the same zod schemas the services validate at start-up. */
export const SERVICE_ENVIRONMENTS = [
  { service: 'orchestrator', schema: orchestratorEnv, secrets: ORCHESTRATOR_SECRETS as readonly string[] },
  { service: 'federated-auth', schema: FederatedAuthEnv, secrets: FEDERATED_AUTH_SECRETS as readonly string[] },
  { service: 'scoped-auth', schema: ScopedAuthEnv, secrets: SCOPED_AUTH_SECRETS as readonly string[] },
  { service: 'webhook-dispatcher', schema: dispatcherEnv, secrets: DISPATCHER_SECRETS as readonly string[] },
  // `pnpm start` reads the STARSHIP_TOKEN_* limits too; the image takes them as build arguments (compose passes them).
  { service: 'starship', schema: StarshipEnv, secrets: [] as readonly string[] },
];

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function describeVariable(schema: z.ZodType): { defaultValue: string; description: string } {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { default?: unknown; description?: string };
  const value = json.default;
  const defaultValue = value === undefined ? '' : typeof value === 'string' && value.startsWith(`${path.resolve(__dirname, '../..')}/`) ? '(path in the repo)' : `\`${String(value)}\``;
  return { defaultValue, description: schema.description ?? json.description ?? '' };
}

/** The README's configuration reference: one table per service, secrets marked. */
export function renderConfigReference(): string {
  const parts: string[] = [];
  for (const { service, schema, secrets } of SERVICE_ENVIRONMENTS) {
    parts.push(`#### ${service}\n`, '| variable | default | secret | meaning |', '| --- | --- | --- | --- |');
    for (const [name, variable] of Object.entries(schema.shape).sort(([a], [b]) => a.localeCompare(b))) {
      const { defaultValue, description } = describeVariable(variable as z.ZodType);
      const secret = secrets.includes(name) ? 'yes (required in production)' : '';
      parts.push(`| \`${name}\` | ${cell(defaultValue || (secret ? 'generated in development' : '—'))} | ${secret} | ${cell(description)} |`);
    }
    parts.push('');
  }
  return parts.join('\n').trimEnd();
}

export const README_START = '<!-- config-reference:start';
export const README_END = '<!-- config-reference:end -->';

/** The README with its configuration section replaced by a fresh rendering. */
export function withConfigReference(readme: string): string {
  const start = readme.indexOf('\n', readme.indexOf(README_START)) + 1;
  const end = readme.indexOf(README_END);
  if (start <= 0 || end < start) throw new Error('README has no configuration reference markers');
  return `${readme.slice(0, start)}${renderConfigReference()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  if (process.argv.includes('--write')) {
    const file = path.resolve(__dirname, '../../README.md');
    fs.writeFileSync(file, withConfigReference(fs.readFileSync(file, 'utf8')));
  } else {
    process.stdout.write(`${renderConfigReference()}\n`);
  }
}
