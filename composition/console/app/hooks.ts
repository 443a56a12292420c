import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { DocumentTypeDecoration, SubscriptionSink, VariablesArgument } from '@voiceassist/typed-operations';
import { sessionStore, type SessionState } from './session.js';

export function useSession(): SessionState {
  return useSyncExternalStore(sessionStore.onChange, sessionStore.getState);
}

export interface OperationState<TResult> {
  data: TResult | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs a query when mounted and whenever `key` (its variables, serialised) changes. */
export function useQuery<TResult, TVariables>(document: DocumentTypeDecoration<TResult, TVariables>, ...variables: VariablesArgument<TVariables>): OperationState<TResult> {
  const key = JSON.stringify(variables[0] ?? {});
  const [state, setState] = useState<{ data: TResult | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [version, setVersion] = useState(0);
  const variablesRef = useRef(variables);
  variablesRef.current = variables;
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    sessionStore.execute(document, ...variablesRef.current).then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => current && setState((previous) => ({ data: previous.data, error, loading: false })),
    );
    return () => {
      current = false;
    };
  }, [document, key, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { ...state, reload };
}

/**
 * A live subscription while mounted and `enabled`. It opens again after every token refresh and
 * whenever `key` changes; `variables` is read at each (re)subscription, so it can say where to
 * resume (afterIndex, afterVersion) without reopening on every event.
 */
export function useSubscription<TResult, TVariables>(
  document: DocumentTypeDecoration<TResult, TVariables>,
  options: { enabled: boolean; key: string; variables: () => TVariables },
  sink: SubscriptionSink<TResult>,
): void {
  const { generation } = useSession();
  const sinkRef = useRef(sink);
  sinkRef.current = sink;
  const variablesRef = useRef(options.variables);
  variablesRef.current = options.variables;
  const { enabled, key } = options;
  useEffect(() => {
    if (!enabled) return undefined;
    return sessionStore.subscribe(
      document,
      {
        next: (data) => sinkRef.current.next(data),
        error: (error) => sinkRef.current.error?.(error),
        complete: () => sinkRef.current.complete?.(),
      },
      ...([variablesRef.current()] as VariablesArgument<TVariables>),
    );
  }, [document, enabled, generation, key]);
}
