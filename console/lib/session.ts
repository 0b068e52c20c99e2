/**
 * Who is signed in: the bearer credential (an API token or an SSO access token) kept in this
 * tab's sessionStorage, so closing the tab signs out and no cookie ever carries it (the API
 * refuses credentials in cookies). A sign-in link carries the token in the URL fragment, which
 * browsers never send to a server; the console takes it and removes it from the address bar.
 */
const KEY = 'case-console.token';

export function currentToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token.trim());
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** `#token=…` from a sign-in link (npm start prints one): stored, then dropped from the URL and history. */
export function takeTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return;
  signIn(decodeURIComponent(match[1]));
  history.replaceState(history.state, '', location.pathname + location.search);
}
