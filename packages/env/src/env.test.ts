import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, envVar, loadEnv, z } from './index.js';

describe('loadEnv', () => {
  const schema = z.object({ PORT: envVar.port(4000), REDIS_URL: envVar.url(), FLAG: envVar.boolean(false) });

  it('applies defaults and coerces types', () => {
    expect(loadEnv(schema, {})).toEqual({ PORT: 4000, REDIS_URL: undefined, FLAG: false });
    expect(loadEnv(schema, { PORT: '5000', FLAG: 'yes', REDIS_URL: '' })).toEqual({ PORT: 5000, REDIS_URL: undefined, FLAG: true });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadEnv(schema, { PORT: 'abc', REDIS_URL: 'not a url', FLAG: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'REDIS_URL', 'FLAG']) expect(message).toContain(name);
    expect((error as InvalidEnvironmentError).problems).toHaveLength(3);
  });
});
