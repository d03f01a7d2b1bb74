import type { AccountDetails, DeploymentKeySummary } from '../data-access/account-repository';
import type { AgentRecord } from '../data-access/agent-repository';

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
  ];
  if (account.deploymentKeys.length === 0) lines.push('  deployment keys:         (none)');
  else lines.push('  deployment keys:', ...account.deploymentKeys.map((key) => `    ${formatKey(key)}`));
  return lines.join('\n');
}

export const toJson = (value: unknown): string => JSON.stringify(value, null, 2);

export const formatAgent = (agent: AgentRecord): string =>
  `${agent.agentSid}  ${agent.kind.padEnd(5)}  ${agent.keyPrefix.padEnd(12)}  created ${iso(agent.createdAt)}  ${agent.friendlyName}`;
