import {
  GraphQLRequestError,
  LogoutDocument,
  LogoutEverywhereDocument,
  RefreshSessionDocument,
  createGraphQLFetch,
  createSubscriptionClient,
  subscribe,
  type SessionFragment,
  type SubscriptionClient,
  type SubscriptionSink,
  type DocumentTypeDecoration,
  type VariablesArgument,
} from '@voiceassist/typed-operations';

// The signed-in session and the transport to the router. The refresh token rotates on every use
// and reuse revokes the session, so it lives in sessionStorage (one tab, one session) and every
// refresh goes through one in-flight promise.

const STORAGE_KEY = 'voiceassist.session';
/** Refresh this long before expiry (or at 80% of a short lifetime). */
const REFRESH_MARGIN_MS = 60_000;

export type Session = SessionFragment;
export type SessionUser = Session['user'];

export interface SessionState {
  session: Session | null;
  /** Why the user was signed out, shown on the sign-in page. */
  notice: string | null;
  /** Bumped whenever the access token changes: live subscriptions reconnect with the new one. */
  generation: number;
}

const graphqlUrl = () => new URL('/graphql', window.location.origin).href;
const websocketUrl = () => graphqlUrl().replace(/^http/, 'ws');

function loadSession(): Session | null {
  try {
    const raw = window.sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export const isAdmin = (user: SessionUser | null | undefined) => user?.role === 'ADMIN' || user?.role === 'SUPERADMIN';

class SessionStore {
  private state: SessionState = { session: loadSession(), notice: null, generation: 0 };
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<boolean> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private wsClient: SubscriptionClient | undefined;

  private readonly http = createGraphQLFetch({ url: graphqlUrl(), getToken: () => this.state.session?.accessToken });

  constructor() {
    if (this.state.session) this.scheduleRefresh();
  }

  getState = (): SessionState => this.state;

  onChange = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(next: Partial<SessionState>) {
    this.state = { ...this.state, ...next };
    for (const listener of this.listeners) listener();
  }

  /** Stores a fresh session (sign-in, registration or refresh) and plans its silent refresh. */
  signIn(session: Session) {
    window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    this.resetSubscriptions();
    this.set({ session, notice: null, generation: this.state.generation + 1 });
    this.scheduleRefresh();
  }

  /** Ends the session locally; with a notice, the sign-in page says why. */
  signOut(notice: string | null = null) {
    clearTimeout(this.refreshTimer);
    window.sessionStorage.removeItem(STORAGE_KEY);
    this.resetSubscriptions();
    this.set({ session: null, notice, generation: this.state.generation + 1 });
  }

  /** Ends the session on the server too (best effort), then locally. */
  async logout() {
    const refreshToken = this.state.session?.refreshToken;
    if (refreshToken) await this.http.request(LogoutDocument, { refreshToken }).catch(() => undefined);
    this.signOut();
  }

  /** Ends every session of the user (other devices too), then this one locally. */
  async logoutEverywhere() {
    await this.execute(LogoutEverywhereDocument).catch(() => undefined);
    this.signOut('You were signed out on every device.');
  }

  private scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    const session = this.state.session;
    if (!session) return;
    const lifetime = new Date(session.expiresAt).getTime() - Date.now();
    const delay = lifetime > 5 * REFRESH_MARGIN_MS ? lifetime - REFRESH_MARGIN_MS : lifetime * 0.8;
    this.refreshTimer = setTimeout(() => void this.refresh(), Math.max(0, delay));
  }

  /**
   * Exchanges the refresh token for a new pair, once at a time. False (and back to sign-in)
   * when the session is over; a network failure keeps the session and tries again later.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const refreshToken = this.state.session?.refreshToken;
      if (!refreshToken) return false;
      try {
        const { refreshToken: next } = await this.http.execute(RefreshSessionDocument, { refreshToken });
        // Signed out (or in as someone else) while this was in flight: keep what is there now.
        if (this.state.session?.refreshToken !== refreshToken) return this.state.session !== null;
        this.signIn(next);
        return true;
      } catch (error) {
        if (error instanceof GraphQLRequestError && (error.hasCode('UNAUTHENTICATED') || error.hasCode('BAD_USER_INPUT'))) {
          this.signOut('Your session has expired. Please sign in again.');
          return false;
        }
        clearTimeout(this.refreshTimer);
        this.refreshTimer = setTimeout(() => void this.refresh(), 10_000);
        return this.state.session !== null;
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * Runs an operation with the current access token; an UNAUTHENTICATED answer while signed in
   * refreshes the session once and retries, or ends at the sign-in page when that fails.
   */
  async execute<TResult, TVariables>(document: DocumentTypeDecoration<TResult, TVariables>, ...variables: VariablesArgument<TVariables>): Promise<TResult> {
    const token = this.state.session?.accessToken;
    try {
      return await this.http.execute(document, ...variables);
    } catch (error) {
      if (!(error instanceof GraphQLRequestError) || !error.hasCode('UNAUTHENTICATED') || !token) throw error;
      if (this.state.session?.accessToken === token && !(await this.refresh())) throw error;
      return this.http.execute(document, ...variables);
    }
  }

  /** The graphql-ws client for the current token (created on first use). */
  private subscriptionClient(): SubscriptionClient {
    this.wsClient ??= createSubscriptionClient({ url: websocketUrl(), getToken: () => this.state.session?.accessToken });
    return this.wsClient;
  }

  private resetSubscriptions() {
    const client = this.wsClient;
    this.wsClient = undefined;
    if (client) void client.dispose();
  }

  /**
   * Subscribes over graphql-ws. An UNAUTHENTICATED end (the token expired or was revoked)
   * refreshes the session; subscribers resubscribe when `generation` changes.
   */
  subscribe<TResult, TVariables>(document: DocumentTypeDecoration<TResult, TVariables>, sink: SubscriptionSink<TResult>, ...variables: VariablesArgument<TVariables>): () => void {
    const token = this.state.session?.accessToken;
    return subscribe(
      this.subscriptionClient(),
      document,
      {
        next: (data) => sink.next(data),
        error: (error) => {
          if (!error.hasCode('UNAUTHENTICATED') || !token) sink.error?.(error);
          // Only for the token it was opened with: a newer token already brings a resubscription.
          else if (this.state.session?.accessToken === token) void this.refresh();
        },
        complete: () => sink.complete?.(),
      },
      ...variables,
    );
  }
}

export const sessionStore = new SessionStore();
