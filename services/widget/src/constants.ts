/*
 * Values the widget shares with the platform. They are repeated here (not imported from
 * @webchat/contracts) so the bundle does not pull in zod; test/contracts.test.ts checks they agree.
 */

export const PATHS = {
  token: '/v2/Webchat/Token',
  refresh: '/v2/Webchat/Tokens/Refresh',
  channels: '/v2/WebChannels',
  configuration: '/v2/Webchat/Configuration',
  /** Starship's liveness route: probed to tell a CORS refusal from a network failure. */
  health: '/healthz',
} as const;

export const FINGERPRINT_HEADERS = {
  userSettings: 'x-webchat-sec-usersettings',
  decoders: 'x-webchat-sec-decoders',
  webchatInfo: 'x-webchat-sec-webchatinfo',
} as const;

/** The API's limits, checked before sending so the guest gets the message at once. */
export const MESSAGE_MAX_BYTES = 4 * 1024;
export const FRIENDLY_NAME_MAX = 256;

/** One localStorage key per deployment key (its first characters: enough to tell keys apart on one site). */
export const STORAGE_PREFIX = 'webchat-session:';
export const storageKey = (deploymentKey: string) => `${STORAGE_PREFIX}${deploymentKey.slice(0, 12)}`;

export const REQUEST_TIMEOUT_MS = 15_000;
/** Refresh this long before the token expires (or at half its remaining life when that is shorter). */
export const REFRESH_MARGIN_MS = 60_000;
