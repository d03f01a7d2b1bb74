import { AccountSid, AddressSid, DeploymentKey, TTL_MAX, TTL_MIN, WidgetSettings } from '@webchat/contracts';
import type { z } from 'zod';
import { InvalidOriginError, parseAllowedOrigins } from '../domain/allowed-origins';
import { FINGERPRINT_SENSITIVITIES, type FingerprintSensitivity } from '../domain/account-types';
import { DEPLOYMENT_KEY_PREFIX } from './deployment-key';
import { InvalidInputError } from './errors';

/*
 * Input checks for the operator functions, done before any write so a bad value changes nothing.
 * Messages are one line and name the field, since the CLI prints them as they are.
 */

export const FRIENDLY_NAME_MAX_LENGTH = 256;
export const WELCOME_MESSAGE_MAX_LENGTH = 1024;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidInputError(`${what} ${JSON.stringify(value)} ${result.error.issues[0]?.message ?? 'is invalid'}`);
}

export const validateAccountSid = (value: string): string => check(AccountSid, value, 'account SID');

export const validateAddressSid = (value: string | null): string | null =>
  value === null ? null : check(AddressSid, value, 'address SID');

export function validateFriendlyName(value: string): string {
  const name = value.trim();
  if (name === '') throw new InvalidInputError('friendly name must not be empty');
  if (name.length > FRIENDLY_NAME_MAX_LENGTH) {
    throw new InvalidInputError(`friendly name is ${name.length} characters: at most ${FRIENDLY_NAME_MAX_LENGTH}`);
  }
  if (CONTROL_CHARACTERS.test(name)) throw new InvalidInputError('friendly name must not contain control characters');
  return name;
}

export function validateSensitivity(value: string): FingerprintSensitivity {
  const found = FINGERPRINT_SENSITIVITIES.find((level) => level === value.trim().toLowerCase());
  if (!found) {
    throw new InvalidInputError(`fingerprint sensitivity ${JSON.stringify(value)} is not one of ${FINGERPRINT_SENSITIVITIES.join(', ')}`);
  }
  return found;
}

export function validateTtl(value: number): number {
  if (!Number.isInteger(value) || value < TTL_MIN || value > TTL_MAX) {
    throw new InvalidInputError(`token TTL ${value} must be a whole number of seconds from ${TTL_MIN} to ${TTL_MAX}`);
  }
  return value;
}

export function validateWelcomeMessage(value: string | null): string | null {
  if (value === null) return null;
  const message = value.trim();
  if (message === '') throw new InvalidInputError('welcome message must not be empty (clear it instead)');
  if (message.length > WELCOME_MESSAGE_MAX_LENGTH) {
    throw new InvalidInputError(`welcome message is ${message.length} characters: at most ${WELCOME_MESSAGE_MAX_LENGTH}`);
  }
  return message;
}

export function validateAllowedOrigins(values: readonly string[]): string[] {
  try {
    return parseAllowedOrigins(values);
  } catch (error) {
    if (error instanceof InvalidOriginError) throw new InvalidInputError(`allowed origin ${error.message}`);
    throw error;
  }
}

/** A key given by the caller (the stable demo key) must look like the ones we generate. */
export function validateDeploymentKey(value: string): string {
  const result = DeploymentKey.safeParse(value);
  // The value is not echoed: it may be a real key pasted in the wrong place.
  if (!result.success) throw new InvalidInputError(`deployment key ${result.error.issues[0]?.message ?? 'is invalid'}`);
  if (!result.data.startsWith(DEPLOYMENT_KEY_PREFIX)) throw new InvalidInputError(`deployment key must start with ${DEPLOYMENT_KEY_PREFIX}`);
  return result.data;
}

/** Every problem at once, each naming where it is (`fields.3.label: ...`), so one edit of the file fixes them all. */
export function validateWidget(value: unknown): WidgetSettings {
  const result = WidgetSettings.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : 'widget configuration';
    const unknownKeys = issue.code === 'unrecognized_keys' ? `unknown setting ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : undefined;
    return `${where}: ${unknownKeys ?? issue.message}`;
  });
  throw new InvalidInputError(`invalid widget configuration: ${problems.join('; ')}`);
}
