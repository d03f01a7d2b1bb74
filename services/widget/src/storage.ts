import { storageKey } from './constants';

/**
 * Everything the widget keeps, under ONE localStorage key. After a session ends only the last token
 * stays, as `previousToken`: the proof that the next session is the same guest's (an identity alone
 * proves nothing, issue 12).
 */
export interface StoredSession {
  token?: string;
  /** The token of an ended session, sent as `previousToken` when the guest starts again. */
  previousToken?: string;
  identity?: string;
  conversationSid?: string;
  /** ISO date-time, as the token route answers it. */
  expiresAt?: string;
  /** Epoch milliseconds; part of the fingerprint, so it is reused for the whole session. */
  loginTimestamp?: number;
}

const FIELDS = ['token', 'previousToken', 'identity', 'conversationSid', 'expiresAt'] as const;

function sanitise(value: unknown): StoredSession {
  if (typeof value !== 'object' || value === null) return {};
  const raw = value as Record<string, unknown>;
  const out: StoredSession = {};
  for (const field of FIELDS) {
    const v = raw[field];
    if (typeof v === 'string' && v.length > 0 && v.length <= 16_384) out[field] = v;
  }
  if (typeof raw.loginTimestamp === 'number' && Number.isFinite(raw.loginTimestamp)) out.loginTimestamp = raw.loginTimestamp;
  return out;
}

/**
 * localStorage can be missing or throw (privacy modes, storage full): the widget then keeps the session
 * in memory for this page only, rather than failing.
 */
export class SessionStore {
  readonly key: string;
  private memory: StoredSession = {};

  constructor(deploymentKey: string) {
    this.key = storageKey(deploymentKey);
  }

  read(): StoredSession {
    try {
      const text = window.localStorage.getItem(this.key);
      if (text !== null) this.memory = sanitise(JSON.parse(text));
    } catch {
      /* unreadable or not JSON: whatever is in memory */
    }
    return { ...this.memory };
  }

  write(session: StoredSession): void {
    this.memory = sanitise(session);
    try {
      window.localStorage.setItem(this.key, JSON.stringify(this.memory));
    } catch {
      /* kept in memory */
    }
  }

  update(patch: StoredSession): StoredSession {
    const next = { ...this.read(), ...patch };
    this.write(next);
    return next;
  }

  /**
   * The session is over: forget the conversation, keep the last token as the proof of identity for a
   * returning visitor, with the login timestamp its fingerprint was made with (so the proof matches).
   */
  endSession(): void {
    const { token, previousToken, identity, loginTimestamp } = this.read();
    const proof = token ?? previousToken;
    this.write(proof ? { previousToken: proof, ...(identity ? { identity } : {}), ...(loginTimestamp ? { loginTimestamp } : {}) } : {});
  }
}
