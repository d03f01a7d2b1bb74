import crypto from 'node:crypto';
import { AppError } from '@webchat/errors';

export const FINGERPRINT_SENSITIVITIES = ['off', 'low', 'medium', 'high'] as const;
export type FingerprintSensitivity = (typeof FINGERPRINT_SENSITIVITIES)[number];

/** What the request tells about the client (DESIGN.md, "Fingerprint"); raw values never leave this module. */
export interface FingerprintSignals {
  userAgent?: string | undefined;
  acceptLanguage?: string | undefined;
  clientIp?: string | undefined;
  /** The widget's three headers, still as sent (small JSON objects). */
  userSettings?: string | undefined;
  decoders?: string | undefined;
  webchatInfo?: string | undefined;
}
type SignalName = keyof FingerprintSignals;

/**
 * Higher sensitivity binds the token to more of the client. `low` survives a network change and a
 * language switch; `high` also pins the IP and the media stack, so a copied token fails almost anywhere else.
 */
export const SIGNALS_BY_SENSITIVITY: Record<Exclude<FingerprintSensitivity, 'off'>, readonly SignalName[]> = {
  low: ['userAgent', 'webchatInfo'],
  medium: ['userAgent', 'acceptLanguage', 'userSettings', 'webchatInfo'],
  high: ['userAgent', 'acceptLanguage', 'userSettings', 'decoders', 'webchatInfo', 'clientIp'],
};

const HEADER_OF: Record<SignalName, string> = {
  userAgent: 'user-agent',
  acceptLanguage: 'accept-language',
  clientIp: 'client IP',
  userSettings: 'x-webchat-sec-usersettings',
  decoders: 'x-webchat-sec-decoders',
  webchatInfo: 'x-webchat-sec-webchatinfo',
};
const JSON_SIGNALS: ReadonlySet<SignalName> = new Set(['userSettings', 'decoders', 'webchatInfo']);
const MAX_SIGNAL_LENGTH = 2048;

/** Key order and spacing must not change the fingerprint: the same client sends the same facts. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function normalise(name: SignalName, raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value || value.length > MAX_SIGNAL_LENGTH) return undefined;
  if (!JSON_SIGNALS.has(name)) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? canonical(parsed) : undefined;
  } catch {
    return undefined;
  }
}

export class FingerprintGenerator {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret, 'utf8');
  }

  /**
   * The fingerprint for one sensitivity: HMAC-SHA256 over the level and its canonical signals, so
   * the same client gives a different value per level and nothing about the signals can be read back.
   * Throws 400 `fingerprint_signals_missing` naming what is missing.
   */
  generate(sensitivity: Exclude<FingerprintSensitivity, 'off'>, signals: FingerprintSignals): string {
    const names = SIGNALS_BY_SENSITIVITY[sensitivity];
    const values: Record<string, string> = {};
    const missing: string[] = [];
    for (const name of names) {
      const value = normalise(name, signals[name]);
      if (value === undefined) missing.push(HEADER_OF[name]);
      else values[name] = value;
    }
    if (missing.length > 0) {
      throw new AppError('fingerprint_signals_missing', `Missing or malformed security signals: ${missing.join(', ')}`);
    }
    return crypto.createHmac('sha256', this.key).update(canonical({ v: 1, sensitivity, values })).digest('base64url');
  }

  /**
   * Every fingerprint this request can produce, one per level whose signals are all present. A later
   * request cannot know which level a token was bound under (the account's setting may have changed
   * since), and offering each is safe: the token's bound hash matches only its own level's value.
   */
  candidates(signals: FingerprintSignals): string[] {
    const out: string[] = [];
    for (const level of ['low', 'medium', 'high'] as const) {
      try {
        out.push(this.generate(level, signals));
      } catch {
        /* that level's signals are not all here */
      }
    }
    return out;
  }
}
