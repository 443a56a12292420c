import { useState, type FormEvent } from 'react';
import {
  DocumentDocument,
  DocumentStatusDocument,
  DocumentsDocument,
  IngestDocumentDocument,
  SearchDocument,
  type KnowledgeDocumentFragment,
  type SearchMode,
  type SearchQuery,
} from '@voiceassist/typed-operations';
import { Alert, Field, describeError, formErrors } from '../forms.js';
import { useQuery, useSession, useSubscription } from '../hooks.js';
import { Page, formatTime } from '../page.js';
import { href } from '../routing.js';
import { isAdmin, sessionStore } from '../session.js';
import { Emphasised } from '../text.js';

const TYPES: Record<string, string> = { txt: 'text/plain', md: 'text/markdown', markdown: 'text/markdown', html: 'text/html', htm: 'text/html', pdf: 'application/pdf' };

function mimeTypeOf(file: File): string | undefined {
  const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
  return TYPES[extension] ?? (Object.values(TYPES).includes(file.type) ? file.type : undefined);
}

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A document's status, following it live until it is READY or FAILED. */
function LiveStatus({ document, onChange }: { document: KnowledgeDocumentFragment; onChange(document: KnowledgeDocumentFragment): void }) {
  const settled = document.status === 'READY' || document.status === 'FAILED';
  useSubscription(DocumentStatusDocument, { enabled: !settled, key: document.id, variables: () => ({ id: document.id }) }, { next: ({ documentStatus }) => onChange(documentStatus) });
  return (
    <span className="document-status" data-status={document.status}>
      {document.status}
      {document.status === 'INDEXING' && (
        <>
          {' '}
          <progress max={1} value={document.progress} aria-label={`Indexing ${document.title}`}>
            {Math.round(document.progress * 100)}%
          </progress>
        </>
      )}
      {document.status === 'FAILED' && document.error && <span>: {document.error}</span>}
    </span>
  );
}

export function KnowledgePage() {
  const { session } = useSession();
  const admin = isAdmin(session?.user);
  const documents = useQuery(DocumentsDocument, { first: 50 });
  const [live, setLive] = useState<Record<string, KnowledgeDocumentFragment>>({});
  const [added, setAdded] = useState<KnowledgeDocumentFragment[]>([]);
  const rows = [...added, ...(documents.data?.documents.edges.map((e) => e.node) ?? []).filter((d) => !added.some((a) => a.id === d.id))].map((d) => live[d.id] ?? d);
  const update = (document: KnowledgeDocumentFragment) => setLive((previous) => ({ ...previous, [document.id]: document }));

  return (
    <Page title="Knowledge">
      <SearchSection />
      {admin ? (
        <UploadSection onAdded={(document) => setAdded((previous) => [document, ...previous.filter((d) => d.id !== document.id)])} />
      ) : (
        <p>Only administrators add documents.</p>
      )}
      <section aria-labelledby="documents-heading">
        <h2 id="documents-heading">Documents</h2>
        {documents.error !== undefined && <Alert>{describeError(documents.error)}</Alert>}
        {documents.loading && !documents.data ? (
          <p>Loading documents…</p>
        ) : rows.length === 0 ? (
          <p>No documents yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Passages</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((document) => (
                <tr key={document.id} data-document={document.title}>
                  <th scope="row">
                    <a href={href(`/knowledge/${document.id}`)}>{document.title}</a>
                  </th>
                  <td>{document.mimeType}</td>
                  <td>
                    <LiveStatus document={document} onChange={update} />
                  </td>
                  <td>{document.chunkCount}</td>
                  <td>{formatTime(document.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Page>
  );
}

function UploadSection({ onAdded }: { onAdded(document: KnowledgeDocumentFragment): void }) {
  const [title, setTitle] = useState('');
  const [source, setSource] = useState('');
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const { fields, general } = formErrors(error);

  async function upload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      let input: { title: string; source: string | null; mimeType: string; text?: string; base64?: string };
      if (file) {
        const mimeType = mimeTypeOf(file);
        if (!mimeType) throw new Error('Choose a .txt, .md, .html or .pdf file.');
        input = { title: title || file.name, source: source || null, mimeType, ...(mimeType === 'application/pdf' ? { base64: await base64Of(file) } : { text: await file.text() }) };
      } else {
        input = { title, source: source || null, mimeType: 'text/plain', text };
      }
      const { ingestDocument } = await sessionStore.execute(IngestDocumentDocument, { input });
      onAdded(ingestDocument);
      setDone(`“${ingestDocument.title}” was added; its status follows below.`);
      setTitle('');
      setSource('');
      setText('');
      setFile(null);
      form.reset();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="upload-heading">
      <h2 id="upload-heading">Add a document</h2>
      {general && <Alert>{general}</Alert>}
      {done && <Alert kind="status">{done}</Alert>}
      <form onSubmit={upload} aria-label="Add a document">
        <Field label="Title" name="title" value={title} onChange={setTitle} error={fields.title} hint="Defaults to the file name." />
        <Field label="Source (optional)" name="source" value={source} onChange={setSource} error={fields.source} hint="Where it comes from, e.g. a URL." />
        <div className="field">
          <label htmlFor="upload-file">File (.txt, .md, .html or .pdf)</label>
          <input id="upload-file" type="file" accept=".txt,.md,.markdown,.html,.htm,.pdf,text/plain,text/markdown,text/html,application/pdf" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <Field label="Or paste text" name="text" value={text} onChange={setText} error={fields.text ?? fields.base64 ?? fields.mimeType} multiline />
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add document'}
        </button>
      </form>
    </section>
  );
}

function SearchSection() {
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState<SearchMode>('HYBRID');
  const [hits, setHits] = useState<SearchQuery['search'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function search(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setHits((await sessionStore.execute(SearchDocument, { query, limit: 10, mode })).search);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="search-heading">
      <h2 id="search-heading">Search</h2>
      <form role="search" aria-label="Search the knowledge base" onSubmit={search}>
        <label htmlFor="knowledge-query">Question or keywords</label> <input id="knowledge-query" type="search" value={query} onChange={(e) => setQuery(e.target.value)} />{' '}
        <label htmlFor="knowledge-mode">Mode</label>{' '}
        <select id="knowledge-mode" value={mode} onChange={(e) => setMode(e.target.value as SearchMode)}>
          <option value="HYBRID">Hybrid</option>
          <option value="SEMANTIC">Semantic</option>
          <option value="KEYWORD">Keyword</option>
        </select>{' '}
        <button type="submit" disabled={busy || !query.trim()}>
          Search
        </button>
      </form>
      {error !== null && <Alert>{describeError(formErrors(error).fields.query ? formErrors(error).fields.query!.message : error)}</Alert>}
      {hits && (
        <div aria-live="polite">
          <p>{hits.length === 0 ? 'Nothing found.' : hits.length === 1 ? '1 passage found.' : `${hits.length} passages found.`}</p>
          <ol className="search-results">
            {hits.map((hit) => (
              <li key={hit.citation.id}>
                <a href={href(`/knowledge/${hit.citation.document.id}`)}>{hit.citation.document.title}</a>
                {hit.citation.heading && <span> · {hit.citation.heading}</span>}
                {hit.citation.page != null && <span> · page {hit.citation.page}</span>}
                <p>
                  <Emphasised text={hit.citation.snippet} />
                </p>
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}

export function DocumentPage({ id }: { id: string }) {
  const result = useQuery(DocumentDocument, { id });
  const [live, setLive] = useState<KnowledgeDocumentFragment | null>(null);
  const document = live ?? result.data?.document ?? null;
  if (result.loading && !result.data) return <Page title="Document">{<p>Loading the document…</p>}</Page>;
  if (!document) {
    return (
      <Page title="Document not found">
        {result.error !== undefined && <Alert>{describeError(result.error)}</Alert>}
        <p>
          There is no such document. <a href={href('/knowledge')}>Back to knowledge</a>.
        </p>
      </Page>
    );
  }
  const link = document.source && /^https?:\/\//.test(document.source) ? document.source : null;
  return (
    <Page title={document.title}>
      <p>
        <a href={href('/knowledge')}>All documents</a>
      </p>
      <dl>
        <dt>Status</dt>
        <dd>
          <LiveStatus document={document} onChange={setLive} />
        </dd>
        <dt>Source</dt>
        <dd>{link ? <a href={link}>{link}</a> : document.source ?? '—'}</dd>
        <dt>Type</dt>
        <dd>{document.mimeType}</dd>
        <dt>Size</dt>
        <dd>{document.byteSize} bytes{document.pageCount ? `, ${document.pageCount} pages` : ''}</dd>
        <dt>Searchable passages</dt>
        <dd>{document.chunkCount}</dd>
        <dt>Added</dt>
        <dd>{formatTime(document.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(document.updatedAt)}</dd>
      </dl>
    </Page>
  );
}
