import { z } from 'zod';
import { ConfigError, isProductionEnv, loadConfig } from '../src';

describe('NODE_ENV', () => {
  test.each(['development', 'test', 'production', undefined])('%s is accepted', (value) => {
    const env = value === undefined ? {} : { NODE_ENV: value };
    expect(isProductionEnv(env)).toBe(value === 'production');
    expect(() => loadConfig(z.object({}), env)).not.toThrow();
  });

  test.each(['prod', 'Production', 'staging', 'dev'])('when it is %s, then the configuration is refused naming NODE_ENV (before any development default is made)', (value) => {
    expect(() => isProductionEnv({ NODE_ENV: value })).toThrow(ConfigError);
    expect(() => loadConfig(z.object({}), { NODE_ENV: value })).toThrow(/NODE_ENV: must be one of development, test, production/);
  });
});
