import { z } from 'zod';
import { ConfigError, configVariables, envBoolean, envInt, envLogLevel, envPort, envUrl, loadConfig } from '../src';

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: envPort(4100),
  LOG_LEVEL: envLogLevel,
  SECURE_DEFAULT: envBoolean(true),
  MAX_TTL: envInt(3600, { min: 60, max: 86_400 }),
  UPSTREAM_URL: envUrl('http://127.0.0.1:4200'),
  SIGNING_KEY: z.string().optional(),
});

const configError = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('when nothing is set, then every default applies', () => {
    expect(loadConfig(schema, {})).toEqual({
      NODE_ENV: 'development',
      PORT: 4100,
      LOG_LEVEL: 'info',
      SECURE_DEFAULT: true,
      MAX_TTL: 3600,
      UPSTREAM_URL: 'http://127.0.0.1:4200',
    });
  });

  it('when values are given, then they are coerced to their types', () => {
    const config = loadConfig(schema, { PORT: '0', LOG_LEVEL: 'debug', SECURE_DEFAULT: '0', MAX_TTL: '60', UPSTREAM_URL: 'http://scoped-auth:4200' });
    expect(config).toMatchObject({ PORT: 0, LOG_LEVEL: 'debug', SECURE_DEFAULT: false, MAX_TTL: 60, UPSTREAM_URL: 'http://scoped-auth:4200' });
  });

  it('when several variables are bad, then one error lists every one of them', () => {
    const err = configError(() =>
      loadConfig(schema, { PORT: '70000', LOG_LEVEL: 'loud', SECURE_DEFAULT: 'maybe', MAX_TTL: 'abc', UPSTREAM_URL: 'not a url' }),
    );
    const named = err.problems.map((p) => p.split(':')[0]);
    expect(named.sort()).toEqual(['LOG_LEVEL', 'MAX_TTL', 'PORT', 'SECURE_DEFAULT', 'UPSTREAM_URL']);
    for (const name of named) expect(err.message).toContain(name);
  });

  it('when a variable is an empty string, then it counts as unset (the default applies)', () => {
    expect(loadConfig(schema, { PORT: '', SECURE_DEFAULT: '' })).toMatchObject({ PORT: 4100, SECURE_DEFAULT: true });
  });

  it('when production lacks a secret, then it refuses to start and names the variable', () => {
    const err = configError(() => loadConfig(schema, { NODE_ENV: 'production' }, { secrets: ['SIGNING_KEY'] }));
    expect(err.problems).toEqual([expect.stringMatching(/^SIGNING_KEY: required in production/)]);
  });

  it('when production has the secret as an empty string, then it is refused too', () => {
    expect(() => loadConfig(schema, { NODE_ENV: 'production', SIGNING_KEY: '' }, { secrets: ['SIGNING_KEY'] })).toThrow(/SIGNING_KEY/);
  });

  it('when production lacks a secret and another variable is bad, then both are listed', () => {
    const err = configError(() => loadConfig(schema, { NODE_ENV: 'production', PORT: '-1' }, { secrets: ['SIGNING_KEY'] }));
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual(['PORT', 'SIGNING_KEY']);
  });

  it('when production has the secret, or when not in production, then a listed secret is not demanded', () => {
    expect(loadConfig(schema, { NODE_ENV: 'production', SIGNING_KEY: 'k' }, { secrets: ['SIGNING_KEY'] }).SIGNING_KEY).toBe('k');
    expect(loadConfig(schema, { NODE_ENV: 'development' }, { secrets: ['SIGNING_KEY'] }).SIGNING_KEY).toBeUndefined();
  });

  it('lists the variables a schema reads, for deployment checks', () => {
    expect(configVariables(schema)).toEqual(['LOG_LEVEL', 'MAX_TTL', 'NODE_ENV', 'PORT', 'SECURE_DEFAULT', 'SIGNING_KEY', 'UPSTREAM_URL']);
  });
});

describe('envBoolean', () => {
  const flag = z.object({ FLAG: envBoolean(true) });
  it.each([
    ['false', false],
    ['0', false],
    ['no', false],
    ['true', true],
    ['1', true],
    ['yes', true],
  ])('reads %j as %s', (raw, expected) => {
    expect(loadConfig(flag, { FLAG: raw }).FLAG).toBe(expected);
  });

  it('when unset, then the fallback applies (either way)', () => {
    expect(loadConfig(flag, {}).FLAG).toBe(true);
    expect(loadConfig(z.object({ FLAG: envBoolean(false) }), {}).FLAG).toBe(false);
  });

  it('when the value is not a boolean word, then it is refused rather than guessed', () => {
    expect(() => loadConfig(flag, { FLAG: 'off-ish' })).toThrow(/FLAG/);
  });
});

describe('envPort and envInt', () => {
  it('refuses a port outside 0..65535 and a non-integer', () => {
    const ports = z.object({ PORT: envPort(1) });
    expect(() => loadConfig(ports, { PORT: '65536' })).toThrow(/PORT/);
    expect(() => loadConfig(ports, { PORT: '80.5' })).toThrow(/PORT/);
    expect(loadConfig(ports, { PORT: '65535' }).PORT).toBe(65535);
  });
});
