import { useSyncExternalStore } from 'react';

// Hash routes (#/conversations/…): plain links work with the keyboard, reload and history, and
// the router serves one index.html.

const subscribeToHash = (listener: () => void) => {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
};
const currentPath = () => window.location.hash.replace(/^#/, '') || '/';

export function useRoute(): string {
  return useSyncExternalStore(subscribeToHash, currentPath);
}

export const href = (path: string) => `#${path}`;

export function navigate(path: string) {
  window.location.hash = path;
}

/** Matches a path against a pattern like /conversations/:id; the params, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('?')[0]!.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(got[i]!);
    else if (part !== got[i]) return null;
  }
  return params;
}
