import type { AccountDetails, DeploymentKeySummary } from '../data-access/account-repository';
import type { AgentRecord } from '../data-access/agent-repository';
import type { RefusedOrigin } from '../data-access/refused-origins';

/** Human-readable output. `--json` prints the same objects with JSON.stringify instead. */

const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function formatKey(key: DeploymentKeySummary): string {
  const revoked = key.revokedAt ? `  revoked ${iso(key.revokedAt)}` : '';
  return `${key.prefix.padEnd(12)}  ${key.status.padEnd(7)}  created ${iso(key.createdAt)}${revoked}  id ${key.id}`;
}

export function formatAccount(account: AccountDetails): string {
  const origins = account.allowedOrigins.length > 0 ? account.allowedOrigins.join(', ') : '(none: every origin gets ACAO *)';
  const lines = [
    `${account.accountSid}  ${account.status}  ${account.friendlyName}`,
    `  allowed origins:         ${origins}`,
    `  fingerprint sensitivity: ${account.fingerprintSensitivity}`,
    `  token TTL:               ${account.tokenTtlSeconds} s`,
    `  address SID:             ${account.addressSid ?? '(none)'}`,
    `  welcome message:         ${account.welcomeMessage === null ? '(none)' : JSON.stringify(account.welcomeMessage)}`,
    `  widget:                  ${Object.keys(account.widget).length === 0 ? '(defaults)' : JSON.stringify(account.widget)}`,
  ];
  if (account.deploymentKeys.length === 0) lines.push('  deployment keys:         (none)');
  else lines.push('  deployment keys:', ...account.deploymentKeys.map((key) => `    ${formatKey(key)}`));
  return lines.join('\n');
}

export const toJson = (value: unknown): string => JSON.stringify(value, null, 2);

export const formatAgent = (agent: AgentRecord): string =>
  `${agent.agentSid}  ${agent.kind.padEnd(5)}  ${agent.keyPrefix.padEnd(12)}  created ${iso(agent.createdAt)}  ${agent.friendlyName}`;
export function formatRefusedOrigins(account: AccountDetails, refused: readonly RefusedOrigin[]): string {
  const allowed = account.allowedOrigins.length > 0 ? account.allowedOrigins.join(', ') : '(none: every origin is allowed)';
  if (refused.length === 0) return `${account.accountSid}: no origin has been refused. Allowed origins: ${allowed}`;
  const width = Math.max(6, ...refused.map((entry) => entry.origin.length));
  return [
    `${account.accountSid}: origins refused (most recent first). Allowed origins: ${allowed}`,
    `  ${'origin'.padEnd(width)}  refusals  first seen            last seen`,
    ...refused.map((entry) => `  ${entry.origin.padEnd(width)}  ${String(entry.refusals).padStart(8)}  ${iso(entry.firstSeen)}  ${iso(entry.lastSeen)}`),
    `To allow one: webchat-admin config set ${account.accountSid} --origins ${[...account.allowedOrigins, refused[0]?.origin ?? ''].join(',')}`,
  ].join('\n');
}
