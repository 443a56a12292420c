import { describe, expect, it } from 'vitest';
import { loggableError } from './index.js';

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
