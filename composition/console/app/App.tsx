import { useEffect, type ReactNode } from 'react';
import { useSession } from './hooks.js';
import { Page } from './page.js';
import { AuditPage } from './pages/audit.js';
import { LoginPage, RegisterPage } from './pages/auth.js';
import { ChatPage } from './pages/chat.js';
import { ConversationsPage } from './pages/conversations.js';
import { FlagsPage } from './pages/flags.js';
import { DictationPage } from './pages/dictation.js';
import { DocumentPage, KnowledgePage } from './pages/knowledge.js';
import { UsersPage } from './pages/users.js';
import { href, match, navigate, useRoute } from './routing.js';
import { isAdmin, sessionStore } from './session.js';

const PUBLIC_ROUTES = ['/login', '/register'];

function AdminOnly({ children }: { children: ReactNode }) {
  const { session } = useSession();
  if (isAdmin(session?.user)) return <>{children}</>;
  return (
    <Page title="Administrators only">
      <p>This page is for administrators.</p>
    </Page>
  );
}

function Content({ path }: { path: string }) {
  let params: Record<string, string> | null;
  if (path === '/login') return <LoginPage />;
  if (path === '/register') return <RegisterPage />;
  if (path === '/' || path === '/conversations') return <ConversationsPage />;
  if ((params = match('/conversations/:id', path))) return <ChatPage key={params.id} id={params.id!} />;
  if (path === '/dictation') return <DictationPage />;
  if (path === '/knowledge') return <KnowledgePage />;
  if ((params = match('/knowledge/:id', path))) return <DocumentPage key={params.id} id={params.id!} />;
  if (path === '/flags') return <FlagsPage />;
  if (path === '/admin/users') return <AdminOnly>{<UsersPage />}</AdminOnly>;
  if (path === '/admin/audit') return <AdminOnly>{<AuditPage />}</AdminOnly>;
  return (
    <Page title="Page not found">
      <p>
        There is no such page. <a href={href('/')}>Go to conversations</a>.
      </p>
    </Page>
  );
}

export function App() {
  const path = useRoute();
  const { session } = useSession();
  const isPublic = PUBLIC_ROUTES.includes(path);

  // Signed out: to sign-in (remembering where to come back); signed in: away from sign-in.
  useEffect(() => {
    if (!session && !isPublic) {
      sessionStorage.setItem('voiceassist.return', path);
      navigate('/login');
    } else if (session && isPublic) {
      const back = sessionStorage.getItem('voiceassist.return');
      sessionStorage.removeItem('voiceassist.return');
      navigate(back && !PUBLIC_ROUTES.includes(back) ? back : '/');
    }
  }, [session, isPublic, path]);

  const current = (target: string) => (path === target || path.startsWith(`${target}/`) ? 'page' : undefined);
  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header>
        <p className="brand">VoiceAssist console</p>
        {session && (
          <nav aria-label="Main">
            <ul>
              <li>
                <a href={href('/conversations')} aria-current={current('/conversations')}>
                  Conversations
                </a>
              </li>
              <li>
                <a href={href('/dictation')} aria-current={current('/dictation')}>
                  Dictation
                </a>
              </li>
              <li>
                <a href={href('/knowledge')} aria-current={current('/knowledge')}>
                  Knowledge
                </a>
              </li>
              <li>
                <a href={href('/flags')} aria-current={current('/flags')}>
                  Flags
                </a>
              </li>
              {isAdmin(session.user) && (
                <>
                  <li>
                    <a href={href('/admin/users')} aria-current={current('/admin/users')}>
                      Users
                    </a>
                  </li>
                  <li>
                    <a href={href('/admin/audit')} aria-current={current('/admin/audit')}>
                      Audit log
                    </a>
                  </li>
                </>
              )}
            </ul>
          </nav>
        )}
        {session && (
          <p className="whoami">
            Signed in as <strong>{session.user.displayName}</strong> ({session.user.role.toLowerCase()}){' '}
            <button type="button" onClick={() => void sessionStore.logout()}>
              Sign out
            </button>{' '}
            <button type="button" onClick={() => void sessionStore.logoutEverywhere()}>
              Sign out everywhere
            </button>
          </p>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {session || isPublic ? <Content path={path} /> : <p>Redirecting to sign-in…</p>}
      </main>
    </>
  );
}
