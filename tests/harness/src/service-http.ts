/** Real HTTP calls for tests: JSON in, status/headers/parsed body out. */
export interface HttpResult {
  status: number;
  headers: Headers;
  contentType: string;
  // Tests inspect arbitrary JSON; narrowing every access would only add noise.
  body: any;
  text: string;
}

export interface RequestOptions {
  method?: string;
  /** Serialised as JSON unless `raw` is given. */
  json?: unknown;
  raw?: string;
  contentType?: string;
  token?: string;
  headers?: Record<string, string>;
}

export async function request(url: string, options: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.json !== undefined) body = JSON.stringify(options.json);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  let parsed: unknown = text;
  if (/json/.test(contentType) && text) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, contentType, body: parsed, text };
}

export const post = (url: string, json: unknown, token?: string, options: RequestOptions = {}) =>
  request(url, { ...options, json, ...(token ? { token } : {}) });
