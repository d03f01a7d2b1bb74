import type { WidgetSettings } from '@webchat/contracts';

/** The account model: plain objects the account repository returns (no pg types) and the domain reads. */

export const ACCOUNT_STATUSES = ['active', 'suspended'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const DEPLOYMENT_KEY_STATUSES = ['active', 'revoked'] as const;
export type DeploymentKeyStatus = (typeof DEPLOYMENT_KEY_STATUSES)[number];

import { FINGERPRINT_SENSITIVITIES, type FingerprintSensitivity } from './fingerprint';

export { FINGERPRINT_SENSITIVITIES, type FingerprintSensitivity };

/** The migration's column defaults, repeated for accounts whose configuration row is missing. */
export const DEFAULT_FINGERPRINT_SENSITIVITY: FingerprintSensitivity = 'medium';
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/** A deployment key as operators and the domain see it: never the key, never its hash. */
export interface DeploymentKeySummary {
  id: string;
  /** The key's first characters (`dk_` + 9), enough to recognise it. */
  prefix: string;
  status: DeploymentKeyStatus;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface AccountSettings {
  allowedOrigins: string[];
  addressSid: string | null;
  fingerprintSensitivity: FingerprintSensitivity;
  tokenTtlSeconds: number;
  welcomeMessage: string | null;
  /** The widget's look, texts and pre-engagement fields; `{}` until an operator sets them. */
  widget: WidgetSettings;
}

/**
 * Everything the token route needs, read in one round trip from a deployment key. Returned whatever
 * the key's and the account's status: the domain decides (and treats revoked, suspended and unknown alike).
 */
export interface AccountConfiguration extends AccountSettings {
  accountSid: string;
  friendlyName: string;
  accountStatus: AccountStatus;
  /** The key that was looked up. */
  keyId: string;
  keyStatus: DeploymentKeyStatus;
  /** All of the account's keys, the looked-up one included, oldest first. */
  deploymentKeys: DeploymentKeySummary[];
}

/** An account for operators (CLI list/show). */
export interface AccountDetails extends AccountSettings {
  accountSid: string;
  friendlyName: string;
  status: AccountStatus;
  createdAt: Date;
  updatedAt: Date;
  deploymentKeys: DeploymentKeySummary[];
}

/** Returned once, when a key is issued: the only time the key itself exists outside the caller. */
export interface IssuedDeploymentKey extends DeploymentKeySummary {
  accountSid: string;
  key: string;
}

export interface RevokedDeploymentKey extends DeploymentKeySummary {
  accountSid: string;
  /** True when the key was revoked already (revoking is idempotent). */
  wasAlreadyRevoked: boolean;
}

/** A partial update: absent fields are left as they are; `null` clears the nullable ones. */
export interface ConfigurationUpdate {
  allowedOrigins?: readonly string[];
  addressSid?: string | null;
  fingerprintSensitivity?: string;
  tokenTtlSeconds?: number;
  welcomeMessage?: string | null;
  /** Replaces the whole widget configuration (validated against WidgetSettings). */
  widget?: unknown;
}
