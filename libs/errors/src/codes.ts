/**
 * Every error code a client or a calling service can see. Stable: clients switch on these, so a code
 * is never renamed, only added.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The body is not valid JSON' },
  fingerprint_signals_missing: { status: 400, title: 'Security signals are missing' },
  identity_proof_required: { status: 400, title: 'A returning identity needs proof' },
  service_token_invalid: { status: 401, title: 'The service token is missing or not valid' },
  token_invalid: { status: 401, title: 'The token is not valid' },
  token_expired: { status: 401, title: 'The token has expired' },
  fingerprint_mismatch: { status: 401, title: 'The token was issued to another client' },
  fingerprint_required: { status: 401, title: 'The token needs the client fingerprint' },
  session_expired: { status: 401, title: 'The session can no longer be refreshed' },
  token_revoked: { status: 401, title: 'The token can no longer be used' },
  identity_token_invalid: { status: 401, title: 'The identity token is not valid' },
  caller_not_allowed: { status: 403, title: 'This caller may not use this endpoint' },
  deployment_key_invalid: { status: 403, title: 'The deployment key is not valid' },
  origin_not_allowed: { status: 403, title: 'This origin is not allowed' },
  origin_required: { status: 403, title: 'This request needs an Origin header' },
  account_mismatch: { status: 403, title: 'The token belongs to another account' },
  not_found: { status: 404, title: 'Not found' },
  conversation_not_found: { status: 404, title: 'The conversation does not exist' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  request_timeout: { status: 408, title: 'The request was not received in time' },
  length_required: { status: 411, title: 'The request needs a Content-Length' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  uri_too_long: { status: 414, title: 'The request URI is too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  request_headers_too_large: { status: 431, title: 'The request headers are too large' },
  internal_error: { status: 500, title: 'Internal error' },
  not_implemented: { status: 501, title: 'The edge does not implement this request' },
  upstream_error: { status: 502, title: 'A service behind this one failed' },
  upstream_unavailable: { status: 503, title: 'A service behind this one is unavailable' },
  store_unavailable: { status: 503, title: 'The account store is unavailable' },
  not_ready: { status: 503, title: 'Not ready' },
  upstream_timeout: { status: 504, title: 'A service behind this one did not answer in time' },
  http_version_not_supported: { status: 505, title: 'This HTTP version is not supported' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
