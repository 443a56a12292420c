import { useState, type FormEvent } from 'react';
import { ArchiveConversationDocument, ConversationsDocument, CreateConversationDocument, DeleteConversationDocument } from '@voiceassist/typed-operations';
import { Alert, describeError } from '../forms.js';
import { useQuery } from '../hooks.js';
import { Page, formatTime } from '../page.js';
import { href, navigate } from '../routing.js';
import { sessionStore } from '../session.js';

export function ConversationsPage() {
  const [title, setTitle] = useState('');
  const [search, setSearch] = useState('');
  const [submitted, setSubmitted] = useState('');
  const [showArchived, setShowArchived] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const list = useQuery(ConversationsDocument, { first: 50, search: submitted || null, archived: showArchived ? null : false });

  async function create(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      const { createConversation } = await sessionStore.execute(CreateConversationDocument, { title: title.trim() || null });
      navigate(`/conversations/${createConversation.id}`);
    } catch (e) {
      setError(e);
    }
  }

  async function run(action: () => Promise<unknown>) {
    setError(null);
    try {
      await action();
      list.reload();
    } catch (e) {
      setError(e);
    }
  }

  const conversations = list.data?.conversations.edges.map((e) => e.node) ?? [];
  return (
    <Page title="Conversations">
      <form onSubmit={create} aria-label="Start a conversation">
        <label htmlFor="new-title">Title (optional: the first message names it)</label> <input id="new-title" value={title} onChange={(e) => setTitle(e.target.value)} />{' '}
        <button type="submit">New conversation</button>
      </form>
      <form
        role="search"
        aria-label="Find conversations"
        onSubmit={(event) => {
          event.preventDefault();
          setSubmitted(search.trim());
        }}
      >
        <label htmlFor="conversation-search">Search titles and messages</label> <input id="conversation-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />{' '}
        <button type="submit">Search</button>{' '}
        <label>
          <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} /> Include archived
        </label>
      </form>
      {error !== null && <Alert>{describeError(error)}</Alert>}
      {list.error !== undefined && <Alert>{describeError(list.error)}</Alert>}
      {list.loading && !list.data ? (
        <p>Loading conversations…</p>
      ) : conversations.length === 0 ? (
        <p>No conversations yet.</p>
      ) : (
        <ul className="conversations">
          {conversations.map((c) => (
            <li key={c.id}>
              <a href={href(`/conversations/${c.id}`)}>{c.title}</a> <small>updated {formatTime(c.updatedAt)}</small>
              {c.archived && <strong> (archived)</strong>}{' '}
              <button type="button" onClick={() => void run(() => sessionStore.execute(ArchiveConversationDocument, { id: c.id, archived: !c.archived }))}>
                {c.archived ? 'Unarchive' : 'Archive'} <span className="visually-hidden">{c.title}</span>
              </button>{' '}
              {confirming === c.id ? (
                <button type="button" onClick={() => void run(() => sessionStore.execute(DeleteConversationDocument, { id: c.id }))}>
                  Confirm deleting <span className="visually-hidden">{c.title}</span>
                </button>
              ) : (
                <button type="button" onClick={() => setConfirming(c.id)}>
                  Delete <span className="visually-hidden">{c.title}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
