import { expect, it } from 'vitest';
import { statementSpanAttributes } from './query-spans.js';

it('names a statement by its operation and first table, never by its values', () => {
  expect(statementSpanAttributes(`select "id", "content" from "conversation"."messages" where "id" = $1`)).toEqual({
    name: 'select conversation.messages',
    attributes: { 'db.system': 'postgresql', 'db.operation.name': 'select', 'db.collection.name': 'conversation.messages' },
  });
  expect(statementSpanAttributes(`insert into "knowledge"."documents" ("title") values ('Patient Jane Roe')`).name).toBe('insert knowledge.documents');
  expect(statementSpanAttributes(`update "voice"."preferences" set "voice" = $1`).name).toBe('update voice.preferences');
  expect(statementSpanAttributes('select 1')).toEqual({ name: 'select', attributes: { 'db.system': 'postgresql', 'db.operation.name': 'select' } });
  expect(JSON.stringify(statementSpanAttributes(`insert into t values ('Patient Jane Roe')`))).not.toContain('Jane');
});
