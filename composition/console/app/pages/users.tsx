import { useState, type FormEvent } from 'react';
import { UpdateUserDocument, UsersDocument, type AdminUserFragment, type Role } from '@voiceassist/typed-operations';
import { Alert, describeError } from '../forms.js';
import { useQuery, useSession } from '../hooks.js';
import { Page, formatTime } from '../page.js';
import { sessionStore } from '../session.js';

const ROLES: Role[] = ['VIEWER', 'USER', 'ADMIN', 'SUPERADMIN'];

export function UsersPage() {
  const [search, setSearch] = useState('');
  const [submitted, setSubmitted] = useState('');
  const [extra, setExtra] = useState<AdminUserFragment[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [status, setStatus] = useState<{ kind: 'status' | 'error'; text: string } | null>(null);
  const [updated, setUpdated] = useState<Record<string, AdminUserFragment>>({});
  const users = useQuery(UsersDocument, { first: 25, search: submitted || null });

  const firstPage = users.data?.users;
  const rows = [...(firstPage?.edges.map((e) => e.node) ?? []), ...extra].map((u) => updated[u.id] ?? u);
  const pageInfo = cursor === null ? firstPage?.pageInfo : undefined;

  async function loadMore(after: string) {
    const { users: next } = await sessionStore.execute(UsersDocument, { first: 25, after, search: submitted || null });
    setExtra((previous) => [...previous, ...next.edges.map((e) => e.node)]);
    setCursor(next.pageInfo.hasNextPage ? next.pageInfo.endCursor ?? null : '');
  }

  function find(event: FormEvent) {
    event.preventDefault();
    setExtra([]);
    setCursor(null);
    setSubmitted(search);
  }

  async function update(user: AdminUserFragment, input: { role?: Role; active?: boolean }) {
    setStatus(null);
    try {
      const { updateUser } = await sessionStore.execute(UpdateUserDocument, { id: user.id, input });
      setUpdated((previous) => ({ ...previous, [user.id]: updateUser }));
      setStatus({
        kind: 'status',
        text: input.role ? `${updateUser.displayName} is now ${updateUser.role}.` : `${updateUser.displayName} is now ${updateUser.active ? 'active' : 'deactivated'}.`,
      });
    } catch (error) {
      setStatus({ kind: 'error', text: `Could not update ${user.displayName}: ${describeError(error)}` });
    }
  }

  const nextCursor = pageInfo?.hasNextPage ? pageInfo.endCursor : cursor;
  return (
    <Page title="Users">
      <form onSubmit={find} role="search" aria-label="Find users">
        <label htmlFor="user-search">Find by email or name</label> <input id="user-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />{' '}
        <button type="submit">Find</button>
      </form>
      {status && <Alert kind={status.kind}>{status.text}</Alert>}
      {users.error !== undefined && <Alert>{describeError(users.error)}</Alert>}
      {users.loading && !users.data ? (
        <p>Loading users…</p>
      ) : (
        <table>
          <caption>{rows.length === 1 ? '1 user' : `${rows.length} users`}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Last sign-in</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((user) => (
              <UserRow key={user.id} user={user} onUpdate={update} />
            ))}
          </tbody>
        </table>
      )}
      {nextCursor ? (
        <button type="button" onClick={() => void loadMore(nextCursor).catch((error: unknown) => setStatus({ kind: 'error', text: describeError(error) }))}>
          Load more users
        </button>
      ) : null}
    </Page>
  );
}

function UserRow({ user, onUpdate }: { user: AdminUserFragment; onUpdate(user: AdminUserFragment, input: { role?: Role; active?: boolean }): Promise<void> }) {
  const { session } = useSession();
  const [role, setRole] = useState<Role>(user.role);
  const self = session?.user.id === user.id;
  const selectId = `role-${user.id}`;
  return (
    <tr data-user={user.email}>
      <th scope="row">{user.displayName}</th>
      <td>{user.email}</td>
      <td>
        <form
          className="inline"
          onSubmit={(event) => {
            event.preventDefault();
            void onUpdate(user, { role });
          }}
        >
          <label htmlFor={selectId} className="visually-hidden">
            Role of {user.displayName}
          </label>
          <select id={selectId} value={role} disabled={self} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>{' '}
          {!self && (
            <button type="submit" disabled={role === user.role}>
              Change role
            </button>
          )}
          {self && <span> (you)</span>}
        </form>
      </td>
      <td>
        {user.active ? 'Active' : 'Deactivated'}{' '}
        {!self && (
          <button type="button" onClick={() => void onUpdate(user, { active: !user.active })}>
            {user.active ? 'Deactivate' : 'Activate'} {user.displayName}
          </button>
        )}
      </td>
      <td>{formatTime(user.createdAt)}</td>
      <td>{formatTime(user.lastLoginAt)}</td>
    </tr>
  );
}
