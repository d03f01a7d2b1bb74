import type { ErrorCode } from '@webchat/contracts';
import type { RawRequest } from '@webchat/test-harness';
import { CHANNELS, REFRESH, TOKEN } from './stack';

export interface BadInputContext {
  /** An active account that allows every origin. */
  deploymentKey: string;
  /** An active account that allows https://shop.example.com only. */
  restrictedKey: string;
  /** A valid (unbound) token of the open account, and a conversation it owns. */
  token: string;
  conversationSid: string;
}

export type BadInputRoute = 'token' | 'refresh' | 'create' | 'get' | 'list-messages' | 'post-message' | 'edge';

export interface BadInputCase {
  route: BadInputRoute;
  name: string;
  status: number;
  code: ErrorCode;
  /** A request (sent with a browser's headers by default), or bytes for what node's client cannot send. */
  build(context: BadInputContext): RawRequest | { raw: string };
}

const JSON_TYPE = { 'content-type': 'application/json' };
const UNKNOWN_SID = `CH${'0'.repeat(32)}`;

const post = (path: string, body: string, headers: Record<string, string> = JSON_TYPE): RawRequest => ({ method: 'POST', path, body, headers });
const postJson = (path: string, value: unknown, headers: Record<string, string> = {}): RawRequest => post(path, JSON.stringify(value), { ...JSON_TYPE, ...headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** `[[[...]]]` this deep, built by hand: JSON.parse copes with it, a recursive JSON.stringify overflows. */
const deepBody = (prefix: string, depth: number) => `${prefix}${'['.repeat(depth)}${']'.repeat(depth)}}}`;

const tokenCases: BadInputCase[] = [
  { route: 'token', name: 'the JSON is cut off', status: 400, code: 'malformed_json', build: () => post(TOKEN, '{"deploymentKey":') },
  { route: 'token', name: 'the JSON has trailing garbage', status: 400, code: 'malformed_json', build: (c) => post(TOKEN, `{"deploymentKey":"${c.deploymentKey}"} x`) },
  { route: 'token', name: 'the body is a bare JSON string', status: 400, code: 'malformed_json', build: (c) => post(TOKEN, JSON.stringify(c.deploymentKey)) },
  { route: 'token', name: 'the body is JSON null', status: 400, code: 'malformed_json', build: () => post(TOKEN, 'null') },
  { route: 'token', name: 'the body is a JSON array', status: 400, code: 'invalid_request', build: (c) => postJson(TOKEN, [{ deploymentKey: c.deploymentKey }]) },
  { route: 'token', name: 'the JSON body is empty', status: 400, code: 'invalid_request', build: () => post(TOKEN, '') },
  { route: 'token', name: 'the body is text/plain', status: 415, code: 'unsupported_media_type', build: (c) => post(TOKEN, `deploymentKey=${c.deploymentKey}`, { 'content-type': 'text/plain' }) },
  { route: 'token', name: 'a body comes without a content type', status: 415, code: 'unsupported_media_type', build: (c) => ({ method: 'POST', path: TOKEN, body: JSON.stringify({ deploymentKey: c.deploymentKey }) }) },
  { route: 'token', name: 'the body is multipart/form-data', status: 415, code: 'unsupported_media_type', build: (c) => post(TOKEN, `--b\r\nContent-Disposition: form-data; name="deploymentKey"\r\n\r\n${c.deploymentKey}\r\n--b--\r\n`, { 'content-type': 'multipart/form-data; boundary=b' }) },
  { route: 'token', name: 'the JSON claims a latin1 charset', status: 415, code: 'unsupported_media_type', build: (c) => post(TOKEN, JSON.stringify({ deploymentKey: c.deploymentKey }), { 'content-type': 'application/json; charset=latin1' }) },
  { route: 'token', name: 'the body claims an unsupported content encoding', status: 415, code: 'unsupported_media_type', build: (c) => post(TOKEN, JSON.stringify({ deploymentKey: c.deploymentKey }), { ...JSON_TYPE, 'content-encoding': 'compress' }) },
  { route: 'token', name: 'the body claims gzip but is not', status: 400, code: 'invalid_request', build: (c) => post(TOKEN, JSON.stringify({ deploymentKey: c.deploymentKey }), { ...JSON_TYPE, 'content-encoding': 'gzip' }) },
  { route: 'token', name: 'deploymentKey is duplicated and the last copy is bad', status: 400, code: 'invalid_request', build: (c) => post(TOKEN, `{"deploymentKey":"${c.deploymentKey}","deploymentKey":"x"}`) },
  { route: 'token', name: 'deploymentKey is a number', status: 400, code: 'invalid_request', build: () => postJson(TOKEN, { deploymentKey: 12345678901234567890 }) },
  { route: 'token', name: 'deploymentKey is an empty string', status: 400, code: 'invalid_request', build: () => postJson(TOKEN, { deploymentKey: '' }) },
  { route: 'token', name: 'deploymentKey is null', status: 400, code: 'invalid_request', build: () => postJson(TOKEN, { deploymentKey: null }) },
  { route: 'token', name: 'deploymentKey is an object', status: 400, code: 'invalid_request', build: (c) => postJson(TOKEN, { deploymentKey: { $ne: c.deploymentKey } }) },
  { route: 'token', name: 'deploymentKey is an array', status: 400, code: 'invalid_request', build: (c) => postJson(TOKEN, { deploymentKey: [c.deploymentKey] }) },
  { route: 'token', name: 'deploymentKey holds unicode', status: 400, code: 'invalid_request', build: () => postJson(TOKEN, { deploymentKey: `dk_${'Ä'.repeat(20)}` }) },
  { route: 'token', name: 'deploymentKey holds control characters', status: 400, code: 'invalid_request', build: (c) => postJson(TOKEN, { deploymentKey: `${c.deploymentKey}\u0000\u001b[2J\r\n` }) },
  { route: 'token', name: 'deploymentKey is 129 characters long', status: 400, code: 'invalid_request', build: () => postJson(TOKEN, { deploymentKey: `dk_${'a'.repeat(126)}` }) },
  { route: 'token', name: 'deploymentKey is 30 000 characters long', status: 400, code: 'invalid_request', build: () => postJson(TOKEN, { deploymentKey: `dk_${'a'.repeat(30_000)}` }) },
  { route: 'token', name: 'deploymentKey is SQL', status: 400, code: 'invalid_request', build: () => postJson(TOKEN, { deploymentKey: "dk_' OR '1'='1' --" }) },
  { route: 'token', name: 'deploymentKey is SQL spelled in URL-safe characters', status: 403, code: 'deployment_key_invalid', build: () => postJson(TOKEN, { deploymentKey: 'dk_1_OR_1--DROP_TABLE_accounts--' }) },
  { route: 'token', name: 'the body has a __proto__ key', status: 400, code: 'invalid_request', build: (c) => post(TOKEN, `{"deploymentKey":"${c.deploymentKey}","__proto__":{"polluted":true,"isAdmin":true}}`) },
  { route: 'token', name: 'the body has a constructor.prototype key', status: 400, code: 'invalid_request', build: (c) => post(TOKEN, `{"deploymentKey":"${c.deploymentKey}","constructor":{"prototype":{"polluted":true}}}`) },
  { route: 'token', name: 'a bare identity that is not even a UUID is refused by name, as every bare identity is', status: 400, code: 'identity_proof_required', build: (c) => postJson(TOKEN, { deploymentKey: c.deploymentKey, identity: '../../admin' }) },
  { route: 'token', name: 'customerFriendlyName is blank', status: 400, code: 'invalid_request', build: (c) => postJson(TOKEN, { deploymentKey: c.deploymentKey, customerFriendlyName: '   ' }) },
  { route: 'token', name: 'customerFriendlyName is 300 characters', status: 400, code: 'invalid_request', build: (c) => postJson(TOKEN, { deploymentKey: c.deploymentKey, customerFriendlyName: 'n'.repeat(300) }) },
  { route: 'token', name: 'preEngagementData is an array', status: 400, code: 'invalid_request', build: (c) => postJson(TOKEN, { deploymentKey: c.deploymentKey, preEngagementData: ['q'] }) },
  { route: 'token', name: 'preEngagementData is over 16 KB', status: 400, code: 'invalid_request', build: (c) => postJson(TOKEN, { deploymentKey: c.deploymentKey, preEngagementData: { q: 'x'.repeat(17_000) } }) },
  { route: 'token', name: 'preEngagementData is nested 6000 levels deep', status: 400, code: 'invalid_request', build: (c) => post(TOKEN, deepBody(`{"deploymentKey":"${c.deploymentKey}","preEngagementData":{"q":`, 6000)) },
  { route: 'token', name: 'a form carries a bad DeploymentKey', status: 400, code: 'invalid_request', build: () => post(TOKEN, 'DeploymentKey=%27%20OR%201%3D1', { 'content-type': 'application/x-www-form-urlencoded' }) },
  { route: 'token', name: 'a form carries preEngagementData that is not JSON', status: 400, code: 'invalid_request', build: (c) => post(TOKEN, `deploymentKey=${c.deploymentKey}&preEngagementData=%7Bnope`, { 'content-type': 'application/x-www-form-urlencoded' }) },
  { route: 'token', name: 'a form carries 200 parameters', status: 400, code: 'invalid_request', build: (c) => post(TOKEN, `deploymentKey=${c.deploymentKey}&${Array.from({ length: 200 }, (_, i) => `p${i}=1`).join('&')}`, { 'content-type': 'application/x-www-form-urlencoded' }) },
  { route: 'token', name: 'the origin is 4 KB long and not allowed', status: 403, code: 'origin_not_allowed', build: (c) => postJson(TOKEN, { deploymentKey: c.restrictedKey }, { origin: `https://${'a'.repeat(60)}.${'b'.repeat(4000)}.example` }) },
  { route: 'token', name: 'the method is PUT', status: 405, code: 'method_not_allowed', build: (c) => ({ ...postJson(TOKEN, { deploymentKey: c.deploymentKey }), method: 'PUT' }) },
];

const refreshCases: BadInputCase[] = [
  { route: 'refresh', name: 'token is missing', status: 400, code: 'invalid_request', build: (c) => postJson(REFRESH, { deploymentKey: c.deploymentKey }) },
  { route: 'refresh', name: 'deploymentKey is missing', status: 400, code: 'invalid_request', build: (c) => postJson(REFRESH, { token: c.token }) },
  { route: 'refresh', name: 'token is an empty string', status: 400, code: 'invalid_request', build: (c) => postJson(REFRESH, { deploymentKey: c.deploymentKey, token: '' }) },
  { route: 'refresh', name: 'token is a number', status: 400, code: 'invalid_request', build: (c) => postJson(REFRESH, { deploymentKey: c.deploymentKey, token: 42 }) },
  { route: 'refresh', name: 'token is over 16 KB', status: 400, code: 'invalid_request', build: (c) => postJson(REFRESH, { deploymentKey: c.deploymentKey, token: 'a'.repeat(16 * 1024 + 1) }) },
  { route: 'refresh', name: 'token is garbage', status: 401, code: 'token_invalid', build: (c) => postJson(REFRESH, { deploymentKey: c.deploymentKey, token: "' OR 1=1 --" }) },
  { route: 'refresh', name: 'the key is unknown (checked before the token)', status: 403, code: 'deployment_key_invalid', build: (c) => postJson(REFRESH, { deploymentKey: `dk_${'Q'.repeat(32)}`, token: c.token }) },
  { route: 'refresh', name: 'there is an extra field', status: 400, code: 'invalid_request', build: (c) => postJson(REFRESH, { deploymentKey: c.deploymentKey, token: c.token, ttl: 86_400 }) },
];

const createCases: BadInputCase[] = [
  { route: 'create', name: 'there is no Authorization header', status: 401, code: 'token_invalid', build: () => postJson(CHANNELS, {}) },
  { route: 'create', name: 'Authorization is Basic', status: 401, code: 'token_invalid', build: () => postJson(CHANNELS, {}, { authorization: 'Basic YWRtaW46YWRtaW4=' }) },
  { route: 'create', name: 'Authorization is an empty Bearer', status: 401, code: 'token_invalid', build: () => postJson(CHANNELS, {}, { authorization: 'Bearer ' }) },
  { route: 'create', name: 'the token has two segments', status: 401, code: 'token_invalid', build: () => postJson(CHANNELS, {}, bearer('eyJhbGciOiJFUzI1NiJ9.e30')) },
  { route: 'create', name: 'the token is five empty segments', status: 401, code: 'token_invalid', build: () => postJson(CHANNELS, {}, bearer('....')) },
  { route: 'create', name: 'the token holds spaces and quotes', status: 401, code: 'token_invalid', build: () => postJson(CHANNELS, {}, bearer('a b "c" d')) },
  { route: 'create', name: 'the token is 6 KB of junk', status: 401, code: 'token_invalid', build: () => postJson(CHANNELS, {}, bearer('x.'.repeat(3000))) },
  { route: 'create', name: 'the Authorization header is larger than the edge takes (9 KB)', status: 431, code: 'request_headers_too_large', build: () => postJson(CHANNELS, {}, bearer('y'.repeat(9 * 1024))) },
  { route: 'create', name: 'the token comes in the query string', status: 401, code: 'token_invalid', build: (c) => ({ ...postJson(CHANNELS, {}), path: `${CHANNELS}?token=${c.token}` }) },
  { route: 'create', name: 'the token comes in the body', status: 401, code: 'token_invalid', build: (c) => postJson(CHANNELS, { token: c.token }) },
  { route: 'create', name: 'the body is an array', status: 400, code: 'invalid_request', build: (c) => postJson(CHANNELS, [], bearer(c.token)) },
  { route: 'create', name: 'the body is a form', status: 415, code: 'unsupported_media_type', build: (c) => post(CHANNELS, 'customerFriendlyName=Ada', { 'content-type': 'application/x-www-form-urlencoded', ...bearer(c.token) }) },
  { route: 'create', name: 'customerFriendlyName is a number', status: 400, code: 'invalid_request', build: (c) => postJson(CHANNELS, { customerFriendlyName: 7 }, bearer(c.token)) },
  { route: 'create', name: 'customerFriendlyName holds a NUL character', status: 400, code: 'invalid_request', build: (c) => postJson(CHANNELS, { customerFriendlyName: 'Ada\u0000Lovelace' }, bearer(c.token)) },
  { route: 'create', name: 'preEngagementData is a string', status: 400, code: 'invalid_request', build: (c) => postJson(CHANNELS, { preEngagementData: '{"question":"hi"}' }, bearer(c.token)) },
  { route: 'create', name: 'preEngagementData holds a NUL character', status: 400, code: 'invalid_request', build: (c) => postJson(CHANNELS, { preEngagementData: { email: 'a\u0000@example.com' } }, bearer(c.token)) },
  { route: 'create', name: 'preEngagementData holds an unpaired surrogate', status: 400, code: 'invalid_request', build: (c) => post(CHANNELS, '{"preEngagementData":{"q":"A\\ud800B"}}', { ...JSON_TYPE, ...bearer(c.token) }) },
  { route: 'create', name: 'a preEngagementData key holds an unpaired surrogate', status: 400, code: 'invalid_request', build: (c) => post(CHANNELS, '{"preEngagementData":{"A\\udc00":"x"}}', { ...JSON_TYPE, ...bearer(c.token) }) },
  { route: 'create', name: 'preEngagementData is nested 6000 levels deep', status: 400, code: 'invalid_request', build: (c) => post(CHANNELS, deepBody('{"preEngagementData":{"q":', 6000), { ...JSON_TYPE, ...bearer(c.token) }) },
  { route: 'create', name: 'the question is a number', status: 400, code: 'invalid_request', build: (c) => postJson(CHANNELS, { preEngagementData: { question: 42 } }, bearer(c.token)) },
  { route: 'create', name: 'the question is over 4 KB', status: 400, code: 'invalid_request', build: (c) => postJson(CHANNELS, { preEngagementData: { question: 'q'.repeat(4097) } }, bearer(c.token)) },
  { route: 'create', name: 'there is an unknown field', status: 400, code: 'invalid_request', build: (c) => postJson(CHANNELS, { accountSid: `AC${'1'.repeat(32)}` }, bearer(c.token)) },
];

const sidCases: Array<[string, string]> = [
  ['is too short', 'CH123'],
  ['has uppercase hex', `CH${'A'.repeat(32)}`],
  ['has another prefix', `AC${'0'.repeat(32)}`],
  ['is SQL', encodeURIComponent("CH' OR '1'='1")],
  ['holds unicode', encodeURIComponent(`CH${'é'.repeat(32)}`)],
  ['holds an encoded CR/LF and a header', `CH${'0'.repeat(32)}%0d%0aSet-Cookie:%20pwned=1`],
  ['is 4 KB long', `CH${'0'.repeat(4096)}`],
];

const readCases: BadInputCase[] = [
  ...sidCases.map(([name, sid]): BadInputCase => ({ route: 'get', name: `the SID ${name}`, status: 400, code: 'invalid_request', build: (c) => ({ path: `${CHANNELS}/${sid}`, headers: bearer(c.token) }) })),
  { route: 'get', name: 'the SID is well-formed but unknown', status: 404, code: 'conversation_not_found', build: (c) => ({ path: `${CHANNELS}/${UNKNOWN_SID}`, headers: bearer(c.token) }) },
  { route: 'get', name: 'the method is DELETE', status: 405, code: 'method_not_allowed', build: (c) => ({ method: 'DELETE', path: `${CHANNELS}/${c.conversationSid}`, headers: bearer(c.token) }) },
  { route: 'list-messages', name: 'the SID is well-formed but unknown', status: 404, code: 'conversation_not_found', build: (c) => ({ path: `${CHANNELS}/${UNKNOWN_SID}/Messages`, headers: bearer(c.token) }) },
  { route: 'list-messages', name: 'there is no token', status: 401, code: 'token_invalid', build: (c) => ({ path: `${CHANNELS}/${c.conversationSid}/Messages` }) },
  { route: 'list-messages', name: 'the SID is SQL', status: 400, code: 'invalid_request', build: (c) => ({ path: `${CHANNELS}/${encodeURIComponent("' UNION SELECT * FROM messages --")}/Messages`, headers: bearer(c.token) }) },
];

const messageCases: BadInputCase[] = [
  { route: 'post-message', name: 'the body text is empty', status: 400, code: 'invalid_request', build: (c) => postJson(`${CHANNELS}/${c.conversationSid}/Messages`, { body: '' }, bearer(c.token)) },
  { route: 'post-message', name: 'the body text is whitespace', status: 400, code: 'invalid_request', build: (c) => postJson(`${CHANNELS}/${c.conversationSid}/Messages`, { body: ' \n\t ' }, bearer(c.token)) },
  { route: 'post-message', name: 'the body text is over 4 KB in UTF-8', status: 400, code: 'invalid_request', build: (c) => postJson(`${CHANNELS}/${c.conversationSid}/Messages`, { body: '€'.repeat(1400) }, bearer(c.token)) },
  { route: 'post-message', name: 'the body text is a number', status: 400, code: 'invalid_request', build: (c) => postJson(`${CHANNELS}/${c.conversationSid}/Messages`, { body: 1 }, bearer(c.token)) },
  { route: 'post-message', name: 'the body text holds a NUL character', status: 400, code: 'invalid_request', build: (c) => postJson(`${CHANNELS}/${c.conversationSid}/Messages`, { body: 'hi\u0000there' }, bearer(c.token)) },
  { route: 'post-message', name: 'the body text holds an unpaired surrogate', status: 400, code: 'invalid_request', build: (c) => post(`${CHANNELS}/${c.conversationSid}/Messages`, '{"body":"x\\ud800y"}', { ...JSON_TYPE, ...bearer(c.token) }) },
  { route: 'post-message', name: 'there is an extra field', status: 400, code: 'invalid_request', build: (c) => postJson(`${CHANNELS}/${c.conversationSid}/Messages`, { body: 'hi', author: 'system' }, bearer(c.token)) },
  { route: 'post-message', name: 'the body is a form', status: 415, code: 'unsupported_media_type', build: (c) => post(`${CHANNELS}/${c.conversationSid}/Messages`, 'body=hi', { 'content-type': 'application/x-www-form-urlencoded', ...bearer(c.token) }) },
  { route: 'post-message', name: 'the conversation is unknown', status: 404, code: 'conversation_not_found', build: (c) => postJson(`${CHANNELS}/${UNKNOWN_SID}/Messages`, { body: 'hi' }, bearer(c.token)) },
  { route: 'post-message', name: 'the SID is SQL', status: 400, code: 'invalid_request', build: (c) => postJson(`${CHANNELS}/${encodeURIComponent("x'); DELETE FROM messages; --")}/Messages`, { body: 'hi' }, bearer(c.token)) },
];

/** Refused by nginx itself, before any service: still problem+json with ACAO. */
const edgeCases: BadInputCase[] = [
  { route: 'edge', name: 'the body is over 32 KB', status: 413, code: 'payload_too_large', build: (c) => postJson(TOKEN, { deploymentKey: c.deploymentKey, preEngagementData: { q: 'x'.repeat(33 * 1024) } }) },
  { route: 'edge', name: 'a cookie is larger than the header buffers', status: 431, code: 'request_headers_too_large', build: (c) => postJson(TOKEN, { deploymentKey: c.deploymentKey }, { cookie: `c=${'z'.repeat(10 * 1024)}` }) },
  { route: 'edge', name: 'the path is 10 KB long', status: 414, code: 'uri_too_long', build: (c) => ({ path: `${CHANNELS}/${'a'.repeat(10 * 1024)}`, headers: bearer(c.token) }) },
  {
    route: 'edge',
    name: 'a header value carries a bare CR (response splitting)',
    status: 400,
    code: 'invalid_request',
    build: (c) => ({ raw: `POST ${TOKEN} HTTP/1.1\r\nHost: localhost\r\nOrigin: https://a.example\rSet-Cookie: pwned=1\r\nContent-Type: application/json\r\nContent-Length: ${JSON.stringify({ deploymentKey: c.deploymentKey }).length}\r\nConnection: close\r\n\r\n${JSON.stringify({ deploymentKey: c.deploymentKey })}` }),
  },
  {
    route: 'edge',
    name: 'a header value carries a NUL byte',
    status: 400,
    code: 'invalid_request',
    build: () => ({ raw: `GET ${CHANNELS}/${UNKNOWN_SID} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer a\u0000b\r\nConnection: close\r\n\r\n` }),
  },
  {
    route: 'edge',
    name: 'the request line is not HTTP',
    status: 400,
    code: 'invalid_request',
    build: () => ({ raw: `POST ${TOKEN} HTTP/1.1 extra\r\nHost: localhost\r\nConnection: close\r\n\r\n` }),
  },
  {
    route: 'edge',
    name: 'Content-Length and Transfer-Encoding are both sent (request smuggling)',
    status: 400,
    code: 'invalid_request',
    build: (c) => ({ raw: `POST ${TOKEN} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nPOST /v1/ScopedAuthTokens/generate/internal HTTP/1.1\r\nHost: localhost\r\nX-Deployment: ${c.deploymentKey.slice(0, 3)}\r\n\r\n` }),
  },
];

export const BAD_INPUT_CASES: BadInputCase[] = [...tokenCases, ...refreshCases, ...createCases, ...readCases, ...messageCases, ...edgeCases];
