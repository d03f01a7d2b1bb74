import { createHash, randomBytes } from 'node:crypto';

export const AGENT_KEY_PREFIX = 'wk_';
/** 24 random bytes = 192 bits, base64url, like deployment keys; only the SHA-256 is stored. */
export const generateAgentKey = (): string => `${AGENT_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
export const hashAgentKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();
/** `wk_` and 9 characters, enough for an operator to recognise a key in a list. */
export const agentKeyDisplayPrefix = (key: string): string => key.slice(0, 12);
/** Anything else cannot be one of ours: no need to ask the database. */
export const AGENT_KEY_SHAPE = /^wk_[A-Za-z0-9_-]{32}$/;
export const newAgentSid = () => `AG${randomBytes(16).toString('hex')}`;
