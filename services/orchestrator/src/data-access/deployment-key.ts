import { createHash, randomBytes } from 'node:crypto';

export const DEPLOYMENT_KEY_PREFIX = 'dk_';
/** 24 random bytes = 192 bits, base64url: URL-safe, 32 characters after the prefix. */
const KEY_RANDOM_BYTES = 24;
/**
 * How much of a key is kept in clear for operators to recognise it: `dk_` and 9 characters (54 bits).
 * The remaining 138 bits stay secret, well above the 128-bit floor.
 */
export const KEY_DISPLAY_PREFIX_LENGTH = 12;

export const generateDeploymentKey = (): string => `${DEPLOYMENT_KEY_PREFIX}${randomBytes(KEY_RANDOM_BYTES).toString('base64url')}`;

/** What the store keeps instead of the key: SHA-256 of its UTF-8 bytes (32 bytes). */
export const hashDeploymentKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

export const deploymentKeyDisplayPrefix = (key: string): string => key.slice(0, KEY_DISPLAY_PREFIX_LENGTH);
