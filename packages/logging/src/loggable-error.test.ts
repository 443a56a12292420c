import { describe, expect, it } from 'vitest';
import { createLogger, loggableError } from './index.js';

describe('loggableError', () => {
  it('keeps type and code but drops bound values drivers put in messages', () => {
    const error = Object.assign(new Error('Failed query: insert into "conversation"."messages" ("content") values ($1)\nparams: patient reports chest pain'), { code: '23505' });
    const out = loggableError(error);
    expect(out).toMatchObject({ type: 'Error', code: '23505' });
    expect(JSON.stringify(out)).not.toContain('chest pain');
    const duplicate = loggableError(new Error('duplicate key value violates unique constraint: Key (email)=(doc@example.com) already exists.'));
    expect(JSON.stringify(duplicate)).not.toContain('doc@example.com');
  });

  it('keeps a provider error\'s HTTP status', () => {
    expect(loggableError(Object.assign(new Error('Too Many Requests'), { name: 'ChatProviderError', status: 429 }))).toMatchObject({ type: 'ChatProviderError', status: 429, message: 'Too Many Requests' });
  });
});

describe('the error serializer of every logger', () => {
  function logged(fields: Record<string, unknown>): Record<string, unknown> {
    const lines: string[] = [];
    createLogger({ service: 'test', destination: { write: (line: string) => void lines.push(line) } }).error(fields, 'failed');
    return JSON.parse(lines[0]!) as Record<string, unknown>;
  }

  it('serializes errors under err and error alike, causes included, without driver fields', () => {
    const cause = Object.assign(new Error('new row violates check constraint "settings_size"'), {
      code: '23514',
      constraint: 'settings_size',
      detail: 'Failing row contains (7, {"diagnosis": "asthma"}).',
      where: 'SQL statement',
    });
    const error = Object.assign(new Error('Failed query: update "settings" set "value" = $1\nparams: {"diagnosis":"asthma"}', { cause }), { params: ['{"diagnosis":"asthma"}'], query: 'update' });
    for (const key of ['err', 'error']) {
      const line = logged({ [key]: error });
      expect(JSON.stringify(line)).not.toContain('asthma');
      expect(line[key]).toMatchObject({ type: 'Error', message: expect.stringContaining('update "settings"'), cause: { code: '23514', constraint: 'settings_size' } });
      expect(line[key]).not.toHaveProperty('params');
      expect((line[key] as { cause: object }).cause).not.toHaveProperty('detail');
    }
  });

  it('leaves an error loggableError already made as it is', () => {
    const once = loggableError(new Error('boom'));
    expect(logged({ error: once }).error).toEqual(JSON.parse(JSON.stringify(once)));
  });

  it('keeps what a plain object says about a failure, nothing it does not', () => {
    expect(logged({ err: { name: 'SpeechError', status: 503 } }).err).toEqual({ type: 'SpeechError', status: 503 });
  });
});
