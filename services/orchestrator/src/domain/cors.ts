import { originMatches } from './allowed-origins';

export interface CorsDecision {
  allowed: boolean;
  /** Refused because the request carries no Origin at all (not a browser page): said as such, not as a bad site. */
  originMissing?: boolean;
  /** The Access-Control-Allow-Origin value to send. */
  allowOrigin: string;
}

/**
 * DESIGN.md, "CORS": `*` for an empty list; the request's own Origin when it matches one entry; otherwise
 * refused, with the diagram's comma-separated list as ACAO (a browser can never match it, so the page
 * cannot read the refusal, and Starship passes it through instead of adding `*`).
 */
export function decideCors(allowedOrigins: readonly string[], origin: string | undefined): CorsDecision {
  if (allowedOrigins.length === 0) return { allowed: true, allowOrigin: '*' };
  const list = allowedOrigins.join(',');
  if (!origin) return { allowed: false, allowOrigin: list, originMissing: true };
  if (origin === 'null') return { allowed: false, allowOrigin: list };
  const matched = allowedOrigins.some((allowed) => originMatches(allowed, origin));
  return matched ? { allowed: true, allowOrigin: origin } : { allowed: false, allowOrigin: list };
}
