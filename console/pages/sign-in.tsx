/**
 * Signing in: paste an API token (admins create them with POST /v1/tokens or `npm run tokens`),
 * or an access token from single sign-on. `npm start` prints a link that signs the development
 * user in directly. The token stays in this tab (sessionStorage) and is sent only to this API.
 */
import { useState } from 'preact/hooks';
import { api, ApiProblem } from '../lib/api';
import { signIn, signOut } from '../lib/session';
import { useTitle } from '../lib/use-api';
import { ssoConfig, startSso } from '../lib/sso';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  useTitle('Sign in');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const sso = ssoConfig();

  const singleSignOn = async () => {
    if (!sso) return;
    setBusy(true);
    setError(undefined);
    try {
      // Back to the page that asked for sign-in (not the callback) once the provider is done.
      await startSso(sso, location.pathname.startsWith('/console/signed-in') ? '/console' : location.pathname + location.search);
    } catch (err) {
      setBusy(false);
      setError(`Single sign-on is not available: ${(err as Error).message}`);
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!token.trim()) return setError('Paste a token first.');
    setBusy(true);
    setError(undefined);
    signIn(token);
    try {
      await api.get('/v1/me');
      onSignedIn();
    } catch (err) {
      signOut();
      setError(err instanceof ApiProblem && err.status === 401 ? 'This token is not valid (unknown, expired or revoked).' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Case console</h1>
      {sso && (
        <div class="sso">
          <button type="button" onClick={singleSignOn} disabled={busy}>
            Sign in with single sign-on
          </button>
          <p class="hint">or paste a token:</p>
        </div>
      )}
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'token-error' : undefined}
        />
        {error && (
          <p id="token-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p id="sign-in-help" class="hint">
        Paste an API token (<code>cot_…</code>) or a single sign-on access token. <code>npm start</code> prints a console link that signs you in
        directly. The token stays in this browser tab only.
      </p>
    </main>
  );
}
