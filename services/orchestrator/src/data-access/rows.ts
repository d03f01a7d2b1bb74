import type { WidgetSettings } from '@webchat/contracts';
import type {
  AccountConfiguration,
  AccountDetails,
  AccountSettings,
  AccountStatus,
  DeploymentKeyStatus,
  DeploymentKeySummary,
  FingerprintSensitivity,
} from '../domain/account-types';

/** Row shapes as pg returns them (snake_case, timestamps as Date, json as parsed values). */

interface SettingsRow {
  allowed_origins: string[];
  address_sid: string | null;
  fingerprint_sensitivity: FingerprintSensitivity;
  token_ttl_seconds: number;
  welcome_message: string | null;
  widget: WidgetSettings;
}

/** The json_build_object of each key: timestamps arrive as ISO strings inside json. */
interface KeyJson {
  id: string;
  prefix: string;
  status: DeploymentKeyStatus;
  createdAt: string;
  revokedAt: string | null;
}

export interface ConfigurationRow extends SettingsRow {
  account_sid: string;
  friendly_name: string;
  account_status: AccountStatus;
  key_id: string;
  key_status: DeploymentKeyStatus;
  deployment_keys: KeyJson[];
}

export interface AccountRow extends SettingsRow {
  account_sid: string;
  friendly_name: string;
  status: AccountStatus;
  created_at: Date;
  updated_at: Date;
  deployment_keys: KeyJson[];
}

export interface KeyRow {
  id: string;
  account_sid: string;
  key_prefix: string;
  status: DeploymentKeyStatus;
  created_at: Date;
  revoked_at: Date | null;
}

const toSettings = (row: SettingsRow): AccountSettings => ({
  allowedOrigins: row.allowed_origins,
  addressSid: row.address_sid,
  fingerprintSensitivity: row.fingerprint_sensitivity,
  tokenTtlSeconds: row.token_ttl_seconds,
  welcomeMessage: row.welcome_message,
  widget: row.widget,
});

const fromKeyJson = (key: KeyJson): DeploymentKeySummary => ({
  id: key.id,
  prefix: key.prefix,
  status: key.status,
  createdAt: new Date(key.createdAt),
  revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt),
});

export const toKeySummary = (row: KeyRow): DeploymentKeySummary => ({
  id: row.id,
  prefix: row.key_prefix,
  status: row.status,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

export const toAccountConfiguration = (row: ConfigurationRow): AccountConfiguration => ({
  accountSid: row.account_sid,
  friendlyName: row.friendly_name,
  accountStatus: row.account_status,
  keyId: row.key_id,
  keyStatus: row.key_status,
  ...toSettings(row),
  deploymentKeys: row.deployment_keys.map(fromKeyJson),
});

export const toAccountDetails = (row: AccountRow): AccountDetails => ({
  accountSid: row.account_sid,
  friendlyName: row.friendly_name,
  status: row.status,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  ...toSettings(row),
  deploymentKeys: row.deployment_keys.map(fromKeyJson),
});
