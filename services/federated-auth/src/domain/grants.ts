import type { WebchatGuestGrants } from '@webchat/contracts';

/**
 * What a webchat guest may do: act as a guest of this account, on its address when one is given.
 * Identity is not a grant: it is the token's `sub`, chosen by scoped-auth.
 */
export function composeGuestGrants(accountSid: string, addressSid?: string): WebchatGuestGrants {
  return { webchat: { role: 'guest', accountSid, ...(addressSid !== undefined ? { addressSid } : {}) } };
}
