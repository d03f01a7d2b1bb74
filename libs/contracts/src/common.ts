import { z } from 'zod';

/** Twilio-style resource identifiers: a two-letter prefix and 32 lowercase hex digits. */
const sid = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}[0-9a-f]{32}$`), `must be ${prefix} followed by 32 lowercase hex digits`);

export const AccountSid = sid('AC').describe('Account SID');
export const AddressSid = sid('IG').describe('Address SID');
export const ConversationSid = sid('CH').describe('Conversation SID');
export const MessageSid = sid('IM').describe('Message SID');

export const Identity = z.uuid().describe('The guest identity (a random UUID, or one derived from the account and a customer-signed `sub`)');

/** The id of the deployment key a token was minted with: every use checks that key is still active. */
export const DeploymentKeyId = z.uuid().describe('Id of the deployment key that minted the token');

/**
 * What a customer's server vouched for about a signed-in guest (a verified identity token): trusted
 * fields of the conversation, and what the widget shows instead of the pre-engagement form.
 */
export const VerifiedGuest = z.strictObject({
  name: z.string().trim().min(1).max(256).optional(),
  email: z.email().max(320).optional(),
});
export type VerifiedGuest = z.infer<typeof VerifiedGuest>;

/** A guest token as a request field (compact JWE); the contract caps it at 16 KiB. */
export const GuestTokenString = z.string().min(1).max(16 * 1024);

/** Deployment keys are opaque, URL-safe and at least 128 bits; anything else cannot be one of ours. */
export const DeploymentKey = z
  .string()
  .min(16, 'is too short to be a deployment key')
  .max(128, 'is too long to be a deployment key')
  .regex(/^[A-Za-z0-9_-]+$/, 'must be URL-safe (A-Z, a-z, 0-9, _ and -)');

export const Fingerprint = z.string().min(1).max(512);

export const GRANTS_MAX_BYTES = 8 * 1024;
export const Grants = z
  .record(z.string(), z.unknown())
  .refine((g) => Buffer.byteLength(JSON.stringify(g), 'utf8') <= GRANTS_MAX_BYTES, {
    message: `must serialise to at most ${GRANTS_MAX_BYTES} bytes`,
  });

export const TTL_MIN = 60;
export const TTL_MAX = 86_400;
export const Ttl = z.number().int().min(TTL_MIN).max(TTL_MAX).describe('Token lifetime in seconds');

export const IsoDateTime = z.iso.datetime({ offset: true });
/** Epoch seconds, as JWT claims use them. */
export const EpochSeconds = z.number().int().nonnegative();

export const TokenResponse = z.strictObject({
  token: z.string().min(1),
  identity: Identity,
  expiresAt: IsoDateTime,
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const PRE_ENGAGEMENT_MAX_BYTES = 16 * 1024;
export const PreEngagementData = z
  .record(z.string(), z.unknown())
  .refine((d) => Buffer.byteLength(JSON.stringify(d), 'utf8') <= PRE_ENGAGEMENT_MAX_BYTES, {
    message: `must serialise to at most ${PRE_ENGAGEMENT_MAX_BYTES} bytes`,
  });

export const CustomerFriendlyName = z.string().trim().min(1).max(256);
