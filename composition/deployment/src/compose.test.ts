import { describe, expect, it } from 'vitest';
import { interpolate, serviceDependencies, serviceEnvironment } from './compose.js';

describe('compose helpers', () => {
  it('resolves interpolations to their defaults, as compose does with no .env', () => {
    expect(interpolate('postgres://u:${PW:-secret}@db/x')).toBe('postgres://u:secret@db/x');
    expect(interpolate('${A-}${B:-}costs $$5')).toBe('costs $5');
  });

  it('refuses interpolations without a default', () => {
    expect(() => interpolate('${PW}')).toThrow(/PW/);
    expect(() => interpolate('${PW:?required}')).toThrow(/unsupported/);
    expect(() => interpolate('$PW')).toThrow(/unsupported/);
  });

  it('reads both environment forms and both depends_on forms', () => {
    expect(serviceEnvironment({ environment: ['A=1', 'B=x=y', 'C'] })).toEqual({ A: '1', B: 'x=y', C: '' });
    expect(serviceEnvironment({ environment: { A: 1, B: null } })).toEqual({ A: '1', B: '' });
    expect(serviceDependencies({ depends_on: ['redis'] })).toEqual({ redis: 'service_started' });
    expect(serviceDependencies({ depends_on: { db: { condition: 'service_healthy' } } })).toEqual({ db: 'service_healthy' });
  });
});
