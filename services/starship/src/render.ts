import { readFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ERROR_CODES, problemTypeUri, type ErrorCode } from '@webchat/contracts';

export const TEMPLATE_PATH = resolve(__dirname, '../nginx/starship.conf.template');
export const DEFAULT_ASSETS_DIR = resolve(__dirname, '../assets');
export const DEFAULT_DESK_DIR = resolve(__dirname, '../desk');

export type StarshipMode = 'local' | 'container';

export interface StarshipRenderOptions {
  mode: StarshipMode;
  listenPort: number;
  /** Default: 127.0.0.1 locally (a dev machine should not expose it), every address in a container. */
  listenHost?: string;
  /**
   * `host:port` of the orchestrator (resolved once, when nginx starts), or several, comma-separated; an entry
   * written `backup=host:port` is used only while the others are down.
   */
  orchestratorUpstream: string;
  /** Where live event streams go; default the same servers. */
  streamUpstream?: string;
  /** Held event streams per client address. */
  streamConnLimit?: number;
  /** How long a stream may stay silent before nginx drops it (heartbeats come every 15 s). */
  streamReadTimeout?: string;
  /** Absolute; served under /desk/ (default services/starship/desk). */
  deskDir?: string;
  /** Absolute; pid, logs and temp folders go here. */
  prefixDir: string;
  /** Absolute; served under /assets/. */
  assetsDir: string;
  /** Per-IP rate on the token routes, nginx syntax (`10r/s`, `30r/m`). */
  tokenRate?: string;
  tokenBurst?: number;
  /** Per-token rate on every WebChannels route (keyed by the Authorization header), nginx syntax. */
  tokenUseRate?: string;
  tokenUseBurst?: number;
  /** Matches the orchestrator's BODY_LIMIT_BYTES (32 KiB). */
  clientMaxBodySize?: string;
  proxyConnectTimeout?: string;
  proxySendTimeout?: string;
  /** The orchestrator's own downstream calls give up after at most 3 s; 10 s means a hung upstream. */
  proxyReadTimeout?: string;
  /** Default: `<prefix>/logs/access.log` locally, `/dev/stdout` in a container. */
  accessLog?: string;
  /** Default: `<prefix>/logs/error.log` locally, `stderr` in a container. */
  errorLog?: string;
  workerProcesses?: number | 'auto';
  /**
   * nginx started by root switches its workers to `nobody`, who may not be able to read the assets or
   * the demo page (a repository under /root, a 0700 temp folder). The local runner passes `root` then.
   */
  workerUser?: string;
  /** Local only: the demo customer site (the first port is the allowed origin, the others are not). */
  demoPorts?: number[];
  /** Local only; default `<prefix>/demo`. */
  demoDir?: string;
}

export const DEFAULTS = {
  tokenRate: '10r/s',
  tokenBurst: 20,
  // A guest reads and writes a few times a minute; a script guessing a fingerprint needs hundreds a second.
  tokenUseRate: '5r/s',
  tokenUseBurst: 30,
  clientMaxBodySize: '32k',
  proxyConnectTimeout: '2s',
  proxySendTimeout: '10s',
  proxyReadTimeout: '10s',
  demoPorts: [3000, 3001],
  streamConnLimit: 20,
  streamReadTimeout: '60m',
} as const;

const PROBLEM_DETAILS: Partial<Record<ErrorCode, string>> = {
  invalid_request: 'The request could not be read',
  not_found: 'There is nothing at this address',
  method_not_allowed: 'This method is not allowed here',
  uri_too_long: 'The request URI is longer than the edge accepts',
  request_headers_too_large: 'A request header (or all of them together) is larger than the edge accepts',
  rate_limited: 'Too many requests from this address or with this token; retry after the number of seconds in Retry-After',
  request_timeout: 'The request was not received in time',
  length_required: 'This request needs a Content-Length',
  not_implemented: 'The edge does not implement this request (for example an unknown Transfer-Encoding)',
  http_version_not_supported: 'Use HTTP/1.0 or HTTP/1.1',
  internal_error: 'The edge could not handle the request',
  upstream_error: 'The webchat service could not be reached',
  upstream_unavailable: 'The webchat service is unavailable; try again shortly',
  upstream_timeout: 'The webchat service did not answer in time',
};

class RenderError extends Error {
  override name = 'StarshipRenderError';
}

// Values land inside nginx directives: anything that could end a directive or start a variable is refused.
const UNSAFE = /[\s;{}'"$\\#]/;

function checked(name: string, value: string, shape: RegExp, expected: string): string {
  if (UNSAFE.test(value) || !shape.test(value)) throw new RenderError(`${name} must be ${expected}; got ${JSON.stringify(value)}`);
  return value;
}

function port(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new RenderError(`${name} must be a port (1-65535); got ${value}`);
  return value;
}

function absolutePath(name: string, value: string): string {
  checked(name, value, /^\/\S*$/, 'an absolute path without whitespace, quotes, ";", "{", "}", "#" or "$"');
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

const DURATION = /^\d+(ms|s|m)$/;

/** One second per request at the sustained rate, rounded up: when the next request would be admitted. */
export function retryAfterSeconds(rate: string): number {
  const [, count, unit] = /^(\d+)r\/([sm])$/.exec(rate) ?? [];
  const perSecond = Number(count) / (unit === 'm' ? 60 : 1);
  return Math.max(1, Math.ceil(1 / perSecond));
}

function sizeInBytes(size: string): number {
  const [, digits, unit] = /^(\d+)([km]?)$/i.exec(size) ?? [];
  return Number(digits) * ({ k: 1024, m: 1024 * 1024 }[unit?.toLowerCase() ?? ''] ?? 1);
}

/** A problem+json body for an nginx `return`, with the request id filled in by nginx at run time. */
export function problemBody(code: ErrorCode, detail: string): string {
  const { status, title } = ERROR_CODES[code];
  const body = JSON.stringify({ type: problemTypeUri(code), title, status, detail, code, requestId: '@@REQUEST_ID@@' });
  // The body sits in a single-quoted nginx string, where '$' starts a variable.
  if (/['\\$]/.test(body)) throw new RenderError(`problem body for ${code} contains a quote, backslash or '$'`);
  return body.replace('@@REQUEST_ID@@', '$starship_request_id');
}

function block(lines: string[], indent: string): string {
  return lines.map((line, i) => (i === 0 ? line : `${indent}${line}`)).join('\n');
}

function expandSections(text: string, mode: StarshipMode): string {
  return text.replace(/\{\{#(local|container)\}\}\n?([\s\S]*?)\{\{\/\1\}\}\n?/g, (_all, section: string, body: string) =>
    section === mode ? body : '',
  );
}

export function renderStarshipConfig(options: StarshipRenderOptions, template = readFileSync(TEMPLATE_PATH, 'utf8')): string {
  const { mode } = options;
  if (mode !== 'local' && mode !== 'container') throw new RenderError(`mode must be local or container; got ${String(mode)}`);
  const local = mode === 'local';
  const prefixDir = absolutePath('prefixDir', options.prefixDir);
  const assetsDir = absolutePath('assetsDir', options.assetsDir);
  const listenHost = options.listenHost ?? (local ? '127.0.0.1' : undefined);
  if (listenHost !== undefined) checked('listenHost', listenHost, /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/, 'a host name or IP address');
  const listenPort = port('listenPort', options.listenPort);
  const listen = (p: number) => (listenHost === undefined ? String(p) : `${listenHost}:${p}`);
  const servers = (name: string, value: string) =>
    value
      .split(',')
      .map((entry) => {
        const backup = entry.startsWith('backup=');
        const address = checked(name, backup ? entry.slice('backup='.length) : entry, /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/, 'host:port (comma-separated, backup=host:port for a backup)');
        return `    server ${address}${backup ? ' backup' : ''};`;
      })
      .join('\n');
  const orchestratorServers = servers('orchestratorUpstream', options.orchestratorUpstream);
  const streamServers = servers('streamUpstream', options.streamUpstream ?? options.orchestratorUpstream);
  const streamConnLimit = options.streamConnLimit ?? DEFAULTS.streamConnLimit;
  if (!Number.isInteger(streamConnLimit) || streamConnLimit < 1) throw new RenderError(`streamConnLimit must be a whole number >= 1; got ${streamConnLimit}`);
  const deskDir = absolutePath('deskDir', options.deskDir ?? DEFAULT_DESK_DIR);
  const tokenRate = checked('tokenRate', options.tokenRate ?? DEFAULTS.tokenRate, /^[1-9]\d*r\/[sm]$/, 'like 10r/s or 30r/m');
  const tokenBurst = options.tokenBurst ?? DEFAULTS.tokenBurst;
  // nginx refuses burst=0; 1 is the tightest setting (one request beyond the rate).
  if (!Number.isInteger(tokenBurst) || tokenBurst < 1) throw new RenderError(`tokenBurst must be a whole number >= 1; got ${tokenBurst}`);
  const tokenUseRate = checked('tokenUseRate', options.tokenUseRate ?? DEFAULTS.tokenUseRate, /^[1-9]\d*r\/[sm]$/, 'like 5r/s or 30r/m');
  const tokenUseBurst = options.tokenUseBurst ?? DEFAULTS.tokenUseBurst;
  if (!Number.isInteger(tokenUseBurst) || tokenUseBurst < 1) throw new RenderError(`tokenUseBurst must be a whole number >= 1; got ${tokenUseBurst}`);
  const bodySize = checked('clientMaxBodySize', options.clientMaxBodySize ?? DEFAULTS.clientMaxBodySize, /^[1-9]\d*[kKmM]?$/, 'like 32k');
  const duration = (name: string, value: string) => checked(name, value, DURATION, 'like 500ms, 10s or 1m');
  const workers = options.workerProcesses ?? (local ? 1 : 'auto');
  if (workers !== 'auto' && (!Number.isInteger(workers) || workers < 1)) throw new RenderError(`workerProcesses must be >= 1 or auto`);
  const workerUser =
    options.workerUser === undefined
      ? '# workers run as the user that starts nginx'
      : `user ${checked('workerUser', options.workerUser, /^[a-z_][a-z0-9_-]*$/, 'a user name')};`;
  const logTarget = (name: string, value: string) =>
    value === 'stderr' ? value : absolutePath(name, value);
  const accessLog = logTarget('accessLog', options.accessLog ?? (local ? `${prefixDir}/logs/access.log` : '/dev/stdout'));
  const errorLog = logTarget('errorLog', options.errorLog ?? (local ? `${prefixDir}/logs/error.log` : 'stderr'));

  const demoPorts = (options.demoPorts ?? DEFAULTS.demoPorts).map((p) => port('demoPorts', p));
  if (local && demoPorts.length === 0) throw new RenderError('demoPorts must name at least one port in local mode');
  const demoDir = absolutePath('demoDir', options.demoDir ?? `${prefixDir}/demo`);
  const all = [listenPort, ...(local ? demoPorts : [])];
  if (new Set(all).size !== all.length) throw new RenderError(`listenPort and demoPorts must differ; got ${all.join(', ')}`);

  const commonHeaders = [
    'add_header X-Content-Type-Options "nosniff" always;',
    'add_header X-Request-Id $starship_request_id always;',
    'add_header Access-Control-Allow-Origin $starship_acao always;',
  ];
  const problemHeaders = [
    // An empty type table: otherwise the URI's extension (/missing.js, /openapi.json) picks the type.
    'types { }',
    'default_type application/problem+json;',
    ...commonHeaders,
    'add_header Access-Control-Expose-Headers "X-Request-Id, Retry-After" always;',
    'add_header Cache-Control "no-store" always;',
  ];
  const details: Record<string, string> = {
    ...PROBLEM_DETAILS,
    payload_too_large: `The body must be at most ${sizeInBytes(bodySize)} bytes`,
  };

  const values: Record<string, string> = {
    worker_processes: String(workers),
    worker_user: workerUser,
    prefix_dir: prefixDir,
    error_log: errorLog,
    access_log: accessLog,
    token_rate: tokenRate,
    token_burst: String(tokenBurst),
    token_use_rate: tokenUseRate,
    token_use_burst: String(tokenUseBurst),
    retry_after_seconds: String(retryAfterSeconds(tokenRate)),
    orchestrator_servers: orchestratorServers,
    stream_servers: streamServers,
    stream_conn_limit: String(streamConnLimit),
    stream_read_timeout: checked('streamReadTimeout', options.streamReadTimeout ?? DEFAULTS.streamReadTimeout, DURATION, 'like 60s or 60m'),
    desk_dir: deskDir,
    listen: listen(listenPort),
    client_max_body_size: bodySize,
    proxy_connect_timeout: duration('proxyConnectTimeout', options.proxyConnectTimeout ?? DEFAULTS.proxyConnectTimeout),
    proxy_send_timeout: duration('proxySendTimeout', options.proxySendTimeout ?? DEFAULTS.proxySendTimeout),
    proxy_read_timeout: duration('proxyReadTimeout', options.proxyReadTimeout ?? DEFAULTS.proxyReadTimeout),
    assets_dir: assetsDir,
    demo_dir: demoDir,
    demo_listen: demoPorts.map((p) => `    listen ${listen(p)};`).join('\n'),
  };

  // The template's leading comment explains placeholders; the output says where it came from instead.
  const body = template.replace(/^(#[^\n]*\n)+\n?/, '');
  const header = `# Rendered from services/starship/nginx/starship.conf.template by services/starship/src/render.ts (mode ${mode}).\n# Do not edit: change the template or the render options.\n\n`;
  const rendered = header + expandSections(body, mode)
    .replace(/^([ \t]*)\{\{(common_headers|problem_headers)\}\}/gm, (_all, indent: string, name: string) =>
      indent + block(name === 'common_headers' ? commonHeaders : problemHeaders, indent),
    )
    .replace(/\{\{problem:([a-z_]+)\}\}/g, (_all, code: string) => {
      const detail = details[code];
      if (!(code in ERROR_CODES) || detail === undefined) throw new RenderError(`template names unknown problem ${code}`);
      return problemBody(code as ErrorCode, detail);
    })
    .replace(/\{\{([a-z_]+)\}\}/g, (_all, name: string) => {
      const value = values[name];
      if (value === undefined) throw new RenderError(`template names unknown value {{${name}}}`);
      return value;
    });
  const leftover = /\{\{[^}]*\}\}/.exec(rendered);
  if (leftover) throw new RenderError(`template has an unrendered placeholder ${leftover[0]}`);
  return rendered;
}

/** Folders nginx expects to exist (it creates files and the last folder of a temp path, not parents). */
export function prepareStarshipPrefix(prefixDir: string): void {
  mkdirSync(resolve(prefixDir, 'logs'), { recursive: true });
}
