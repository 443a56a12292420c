import { useState, type FormEvent } from 'react';
import { AuditLogDocument, VerifyAuditLogDocument, type AuditLogQuery, type VerifyAuditLogQuery } from '@voiceassist/typed-operations';
import { Alert, describeError } from '../forms.js';
import { useQuery } from '../hooks.js';
import { Page, formatTime } from '../page.js';
import { sessionStore } from '../session.js';

type AuditEvent = AuditLogQuery['auditLog']['edges'][number]['node'];

export function AuditPage() {
  const [action, setAction] = useState('');
  const [filter, setFilter] = useState('');
  const [extra, setExtra] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [verification, setVerification] = useState<VerifyAuditLogQuery['verifyAuditLog'] | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const log = useQuery(AuditLogDocument, { first: 50, action: filter || null });

  const events = [...(log.data?.auditLog.edges.map((e) => e.node) ?? []), ...extra];
  const firstInfo = log.data?.auditLog.pageInfo;
  const nextCursor = cursor === null ? (firstInfo?.hasNextPage ? firstInfo.endCursor : null) : cursor;

  async function verify() {
    setVerifying(true);
    setError(null);
    try {
      setVerification((await sessionStore.execute(VerifyAuditLogDocument)).verifyAuditLog);
    } catch (e) {
      setError(e);
    } finally {
      setVerifying(false);
    }
  }

  async function loadMore(after: string) {
    try {
      const { auditLog } = await sessionStore.execute(AuditLogDocument, { first: 50, after, action: filter || null });
      setExtra((previous) => [...previous, ...auditLog.edges.map((e) => e.node)]);
      setCursor(auditLog.pageInfo.hasNextPage ? auditLog.pageInfo.endCursor ?? null : '');
    } catch (e) {
      setError(e);
    }
  }

  function applyFilter(event: FormEvent) {
    event.preventDefault();
    setExtra([]);
    setCursor(null);
    setFilter(action.trim());
  }

  return (
    <Page title="Audit log">
      <section aria-labelledby="verify-heading">
        <h2 id="verify-heading">Chain verification</h2>
        <p>Every entry carries the SHA-256 of its content and of the entry before it; verification walks the whole chain.</p>
        <button type="button" onClick={() => void verify()} disabled={verifying}>
          {verifying ? 'Verifying…' : 'Verify the chain'}
        </button>
        {verification &&
          (verification.valid ? (
            <Alert kind="status">The chain is intact: {verification.checked} entries checked.</Alert>
          ) : (
            <Alert>
              The chain is broken at entry {verification.firstBrokenId ?? 'unknown'} ({verification.checked} entries checked): it or the entry before it was changed or removed.
            </Alert>
          ))}
      </section>
      <section aria-labelledby="entries-heading">
        <h2 id="entries-heading">Entries</h2>
        <form onSubmit={applyFilter} aria-label="Filter the audit log">
          <label htmlFor="audit-action">Action</label> <input id="audit-action" value={action} placeholder="e.g. login" onChange={(e) => setAction(e.target.value)} />{' '}
          <button type="submit">Filter</button>
        </form>
        {error !== null && <Alert>{describeError(error)}</Alert>}
        {log.error !== undefined && <Alert>{describeError(log.error)}</Alert>}
        {log.loading && !log.data ? (
          <p>Loading entries…</p>
        ) : (
          <table>
            <caption>Newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">IP</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id} data-action={event.action}>
                  <td>{formatTime(event.occurredAt)}</td>
                  <th scope="row">{event.action}</th>
                  <td>{event.actor ? `${event.actor.displayName} <${event.actor.email}>` : event.actorId ?? 'anonymous'}</td>
                  <td>{event.targetType ? `${event.targetType} ${event.targetId ?? ''}` : '—'}</td>
                  <td>{event.ip ?? '—'}</td>
                  <td>
                    <code title={event.hash}>{event.hash.slice(0, 12)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {nextCursor ? (
          <button type="button" onClick={() => void loadMore(nextCursor)}>
            Load older entries
          </button>
        ) : null}
      </section>
    </Page>
  );
}
