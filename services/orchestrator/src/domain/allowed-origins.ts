/*
 * An account's allowed origins: exact origins (`scheme://host[:port]`) or `https://*.domain.tld` subdomain
 * patterns. Stored normalised (lowercase, punycode, default port dropped, no trailing slash), so the CORS
 * check compares like with like. Pure functions: used by the operator CLI to validate and by the routes to match.
 */

/** Twilio allows at most 10 allowed origins per account. */
export const MAX_ALLOWED_ORIGINS = 10;

const WILDCARD_PREFIX = 'https://*.';
// A syntactically valid label substituted for `*` so the URL parser can normalise the rest.
const PLACEHOLDER_LABEL = 'wildcard-placeholder';
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
// scheme://authority with at most a trailing slash: anything after it is a path, query or fragment.
const ORIGIN_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/?)(.*)$/is;

export class InvalidOriginError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`${JSON.stringify(input)} ${reason}`);
    this.name = 'InvalidOriginError';
  }
}

interface ParsedOrigin {
  scheme: 'http' | 'https';
  host: string;
  /** '' for the scheme's default port. */
  port: string;
}

const isIp = (host: string) => host.startsWith('[') || IPV4.test(host);

function isValidHostname(host: string): boolean {
  if (isIp(host)) return true;
  return host.length <= 253 && host.split('.').every((label) => LABEL.test(label));
}

/** Parses `scheme://host[:port]` (optional trailing slash), throwing InvalidOriginError with the reason. */
function parseExactOrigin(input: string, display = input): ParsedOrigin {
  const shape = ORIGIN_SHAPE.exec(input);
  if (!shape) throw new InvalidOriginError(display, 'is not an origin: expected scheme://host[:port], e.g. https://example.com');
  const [, scheme = '', authority = '', , rest = ''] = shape;
  const lowerScheme = scheme.toLowerCase();
  if (lowerScheme !== 'http' && lowerScheme !== 'https') {
    throw new InvalidOriginError(display, `has scheme "${scheme}": only http and https origins are allowed`);
  }
  if (rest !== '') {
    throw new InvalidOriginError(display, 'must not have a path, query or fragment (an origin is scheme://host[:port])');
  }
  if (authority.includes('@')) throw new InvalidOriginError(display, 'must not contain credentials');
  let url: URL;
  try {
    url = new URL(`${lowerScheme}://${authority}`);
  } catch {
    throw new InvalidOriginError(display, 'is not a valid URL (check the host name and port)');
  }
  if (!url.hostname || !isValidHostname(url.hostname)) {
    throw new InvalidOriginError(display, 'has an invalid host name (letters, digits, "-" and "." only)');
  }
  return { scheme: lowerScheme, host: url.hostname, port: url.port };
}

const format = ({ scheme, host, port }: ParsedOrigin) => `${scheme}://${host}${port ? `:${port}` : ''}`;

/**
 * Validates one allowed origin and returns its normalised form, or throws InvalidOriginError with a
 * one-line message naming the problem.
 */
export function parseAllowedOrigin(value: string): string {
  const input = value.trim();
  if (input === '') throw new InvalidOriginError(value, 'is empty');
  if (!input.includes('*')) return format(parseExactOrigin(input));

  if (/^http:\/\/\*/i.test(input)) throw new InvalidOriginError(input, 'is a wildcard pattern: those must use https');
  if (!input.toLowerCase().startsWith(WILDCARD_PREFIX) || input.indexOf('*', WILDCARD_PREFIX.length) !== -1) {
    throw new InvalidOriginError(input, 'has a misplaced "*": the only wildcard form is https://*.domain.tld');
  }
  const parsed = parseExactOrigin(`https://${PLACEHOLDER_LABEL}.${input.slice(WILDCARD_PREFIX.length)}`, input);
  const domain = parsed.host.slice(PLACEHOLDER_LABEL.length + 1);
  if (isIp(domain) || domain.split('.').length < 2) {
    throw new InvalidOriginError(input, 'is too broad: a wildcard needs a domain with at least two labels (https://*.example.com)');
  }
  return format({ ...parsed, host: `*.${domain}` });
}

/** Validates a whole list: at most MAX_ALLOWED_ORIGINS, each normalised, duplicates dropped (order kept). */
export function parseAllowedOrigins(values: readonly string[]): string[] {
  const normalised = [...new Set(values.map(parseAllowedOrigin))];
  if (normalised.length > MAX_ALLOWED_ORIGINS) {
    throw new InvalidOriginError(
      values.join(','),
      `lists ${normalised.length} origins: at most ${MAX_ALLOWED_ORIGINS} allowed origins per account`,
    );
  }
  return normalised;
}

export const isWildcardOrigin = (allowed: string) => allowed.startsWith(WILDCARD_PREFIX);

function tryParse<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

/**
 * Whether a request's `Origin` header is covered by one allowed origin. Plain entries match exactly
 * (after normalisation); `https://*.example.com` matches any https subdomain, one level or more, on the
 * same port, never the apex itself nor a look-alike such as `https://a.example.com.evil.com`.
 * `null`, malformed or path-carrying Origin values never match.
 */
export function originMatches(allowed: string, origin: string): boolean {
  const pattern = tryParse(() => parseAllowedOrigin(allowed));
  if (pattern === undefined || origin.includes('*')) return false;
  const candidate = tryParse(() => parseExactOrigin(origin.trim()));
  if (candidate === undefined) return false;
  if (!isWildcardOrigin(pattern)) return format(candidate) === pattern;

  const patternParts = tryParse(() => parseExactOrigin(pattern.replace('*', PLACEHOLDER_LABEL)));
  if (patternParts === undefined || candidate.scheme !== 'https' || candidate.port !== patternParts.port) return false;
  const suffix = `.${patternParts.host.slice(PLACEHOLDER_LABEL.length + 1)}`;
  return !isIp(candidate.host) && candidate.host.endsWith(suffix) && candidate.host.length > suffix.length;
}

/** True when any entry of `allowedOrigins` covers `origin`. */
export const isOriginAllowed = (allowedOrigins: readonly string[], origin: string): boolean =>
  allowedOrigins.some((allowed) => originMatches(allowed, origin));
