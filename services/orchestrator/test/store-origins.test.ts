import {
  InvalidOriginError,
  MAX_ALLOWED_ORIGINS,
  isOriginAllowed,
  originMatches,
  parseAllowedOrigin,
  parseAllowedOrigins,
} from '../src/domain/allowed-origins';

describe('parseAllowedOrigin', () => {
  it.each([
    ['https://example.com', 'https://example.com'],
    ['https://Example.COM/', 'https://example.com'],
    ['  http://localhost:3000  ', 'http://localhost:3000'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['https://example.com:443', 'https://example.com'],
    ['http://example.com:80', 'http://example.com'],
    ['https://example.com:8443', 'https://example.com:8443'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['https://*.example.com', 'https://*.example.com'],
    ['HTTPS://*.Example.com/', 'https://*.example.com'],
    ['https://*.example.co.uk:8443', 'https://*.example.co.uk:8443'],
  ])('when given %j, then it is accepted as %j', (input, normalised) => {
    expect(parseAllowedOrigin(input)).toBe(normalised);
  });

  it.each([
    ['', /is empty/],
    ['example.com', /is not an origin/],
    ['not a url', /is not an origin/],
    ['https://', /not a valid URL/],
    ['https://exa mple.com', /not a valid URL|invalid host/],
    ['https://example.com/path', /must not have a path/],
    ['https://example.com/?q=1', /must not have a path/],
    ['https://example.com#top', /must not have a path/],
    ['ftp://example.com', /only http and https/],
    ['javascript://example.com', /only http and https/],
    ['https://user:pw@example.com', /credentials/],
    ['https://example.com:99999', /not a valid URL/],
    ['https://exa_mple.com', /invalid host name/],
    ['https://-bad.example.com', /invalid host name/],
    ['null', /is not an origin/],
    ['http://*.example.com', /wildcard pattern: those must use https/],
    ['https://*.com', /too broad/],
    ['https://*', /misplaced "\*"/],
    ['https://a.*.example.com', /misplaced "\*"/],
    ['https://*example.com', /misplaced "\*"/],
    ['https://*.*.example.com', /misplaced "\*"/],
    ['*.example.com', /misplaced "\*"/],
    ['https://*.example.com/path', /must not have a path/],
    ['https://*.192.168.0.1', /too broad|not a valid URL/],
  ])('when given %j, then it is refused with a message naming the problem', (input, message) => {
    expect(() => parseAllowedOrigin(input)).toThrow(InvalidOriginError);
    expect(() => parseAllowedOrigin(input)).toThrow(message);
  });

  it('when the error is shown, then it is one line that quotes the input', () => {
    expect(() => parseAllowedOrigin('https://example.com/path')).toThrow(
      /^"https:\/\/example.com\/path" must not have a path, query or fragment/,
    );
  });
});

describe('parseAllowedOrigins', () => {
  const origins = (n: number) => Array.from({ length: n }, (_, i) => `https://site${i}.example.com`);

  it(`when given ${MAX_ALLOWED_ORIGINS} origins, then all are kept in order`, () => {
    expect(parseAllowedOrigins(origins(MAX_ALLOWED_ORIGINS))).toEqual(origins(MAX_ALLOWED_ORIGINS));
  });

  it(`when given more than ${MAX_ALLOWED_ORIGINS}, then it is refused naming the limit`, () => {
    expect(() => parseAllowedOrigins(origins(MAX_ALLOWED_ORIGINS + 1))).toThrow(/at most 10 allowed origins/);
  });

  it('when the same origin is given twice in different spellings, then it is kept once', () => {
    expect(parseAllowedOrigins(['https://A.example.com/', 'https://a.example.com'])).toEqual(['https://a.example.com']);
  });

  it('when one entry is bad, then the whole list is refused', () => {
    expect(() => parseAllowedOrigins(['https://ok.example.com', 'https://bad.example.com/x'])).toThrow(/must not have a path/);
  });

  it('when the list is empty, then it stays empty (every origin allowed)', () => {
    expect(parseAllowedOrigins([])).toEqual([]);
  });
});

describe('originMatches', () => {
  it.each([
    ['https://example.com', 'https://example.com', true],
    ['https://example.com', 'https://EXAMPLE.com', true],
    ['https://example.com', 'https://example.com:443', true],
    ['https://example.com', 'http://example.com', false],
    ['https://example.com', 'https://example.com:8443', false],
    ['https://example.com', 'https://www.example.com', false],
    ['https://example.com', 'https://example.com.evil.com', false],
    ['http://localhost:3000', 'http://localhost:3000', true],
    ['http://localhost:3000', 'http://localhost:3001', false],
    ['https://*.example.com', 'https://a.example.com', true],
    ['https://*.example.com', 'https://a.b.example.com', true],
    ['https://*.example.com', 'https://example.com', false],
    ['https://*.example.com', 'https://a.example.com.evil.com', false],
    ['https://*.example.com', 'https://evilexample.com', false],
    ['https://*.example.com', 'http://a.example.com', false],
    ['https://*.example.com', 'https://a.example.com:8443', false],
    ['https://*.example.com:8443', 'https://a.example.com:8443', true],
    ['https://*.example.com:8443', 'https://a.example.com', false],
    ['https://*.example.com', 'null', false],
    ['https://*.example.com', '', false],
    ['https://*.example.com', 'https://*.example.com', false],
    ['https://*.example.com', 'https://a.example.com/path', false],
    ['not an origin', 'https://example.com', false],
  ])('when the allowed origin is %j and the request comes from %j, then the match is %s', (allowed, origin, expected) => {
    expect(originMatches(allowed, origin)).toBe(expected);
  });

  it('when any entry of the list covers the origin, then it is allowed', () => {
    const list = ['https://shop.example.org', 'https://*.example.com'];
    expect(isOriginAllowed(list, 'https://chat.example.com')).toBe(true);
    expect(isOriginAllowed(list, 'https://example.org')).toBe(false);
    expect(isOriginAllowed([], 'https://example.org')).toBe(false);
  });
});
