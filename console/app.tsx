/**
 * The console's shell: sign-in when there is no good credential, otherwise the header, the
 * navigation and the page for the URL. Every page has its own URL under /console (bookmarkable;
 * the back button works: preact-iso's router uses the History API).
 */
import { useEffect, useState } from 'preact/hooks';
import { ErrorBoundary, LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { api, ApiProblem, onUnauthorized } from './lib/api';
import { MeContext, type Me } from './lib/me';
import { currentToken, signOut } from './lib/session';
import { CALLBACK_PATH, finishSso, ssoConfig } from './lib/sso';
import { Loading, ProblemMessage } from './components/problem';
import { SignIn } from './pages/sign-in';
import { Home } from './pages/home';
import { BoardPage, BoardsIndex } from './pages/board';
import { CasesList } from './pages/cases-list';
import { NewCase } from './pages/new-case';
import { CasePage } from './pages/case-page';
import { TemplatesPage, TemplatePage, PublishTemplate } from './pages/templates';

function NotFound() {
  return (
    <main id="main" tabIndex={-1}>
      <h1>Page not found</h1>
      <p>
        <a href="/console">Back to the console home</a>
      </p>
    </main>
  );
}

const NAV: Array<{ href: string; label: string; match: (path: string) => boolean }> = [
  { href: '/console', label: 'Home', match: (p) => p === '/console' || p === '/console/' },
  { href: '/console/boards', label: 'Boards', match: (p) => p.startsWith('/console/boards') },
  { href: '/console/cases', label: 'Cases', match: (p) => p.startsWith('/console/cases') && !p.startsWith('/console/cases/new') },
  { href: '/console/cases/new', label: 'Start a case', match: (p) => p.startsWith('/console/cases/new') },
  { href: '/console/templates', label: 'Templates', match: (p) => p.startsWith('/console/templates') },
];

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const { path } = useLocation();
  return (
    <MeContext.Provider value={me}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/console">
          Case console
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <a href={item.href} aria-current={item.match(path) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span title={me.roles.length ? `Roles: ${me.roles.join(', ')}` : 'No roles'}>{me.name}</span>
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <ErrorBoundary>
        <Router>
          <Route path="/console" component={Home} />
          <Route path="/console/boards" component={BoardsIndex} />
          <Route path="/console/boards/:template" component={BoardPage} />
          <Route path="/console/cases" component={CasesList} />
          <Route path="/console/cases/new" component={NewCase} />
          <Route path="/console/cases/:id" component={CasePage} />
          <Route path="/console/templates" component={TemplatesPage} />
          <Route path="/console/templates/new" component={PublishTemplate} />
          <Route path="/console/templates/:key" component={TemplatePage} />
          <Route path="/console/templates/:key/versions/:version" component={TemplatePage} />
          <Route default component={NotFound} />
        </Router>
      </ErrorBoundary>
    </MeContext.Provider>
  );
}

type State = { status: 'checking' } | { status: 'signed-out'; error?: ApiProblem } | { status: 'signed-in'; me: Me };

/** Back from the identity provider: finish the sign-in, then replace the callback URL with the page that asked. */
async function finishSignIn(): Promise<ApiProblem | undefined> {
  const sso = ssoConfig();
  try {
    if (!sso) throw new Error('Single sign-on is not configured');
    history.replaceState(null, '', await finishSso(sso));
    return undefined;
  } catch (err) {
    history.replaceState(null, '', '/console');
    return new ApiProblem({ status: 0, code: 'sso_failed', detail: `Single sign-on did not complete: ${(err as Error).message}` });
  }
}

export function App() {
  const callback = location.pathname === CALLBACK_PATH;
  const [state, setState] = useState<State>(currentToken() || callback ? { status: 'checking' } : { status: 'signed-out' });

  const check = async () => {
    if (!currentToken()) return setState({ status: 'signed-out' });
    setState({ status: 'checking' });
    try {
      setState({ status: 'signed-in', me: await api.get<Me>('/v1/me') });
    } catch (err) {
      setState({ status: 'signed-out', ...(err instanceof ApiProblem ? { error: err } : {}) });
    }
  };
  useEffect(() => {
    if (callback) {
      void finishSignIn().then((error) => (error ? setState({ status: 'signed-out', error }) : check()));
    } else {
      void check();
    }
    return onUnauthorized(() => setState({ status: 'signed-out', error: new ApiProblem({ status: 401, detail: 'Your sign-in is no longer valid. Sign in again.' }) }));
  }, []);

  return (
    <LocationProvider scope="/console">
      {state.status === 'checking' && <Loading label="Signing in" />}
      {state.status === 'signed-out' && (
        <>
          <SignIn onSignedIn={check} />
          {state.error && <ProblemMessage error={state.error} title={state.error.status === 401 ? 'Signed out' : 'Could not sign in'} />}
        </>
      )}
      {state.status === 'signed-in' && (
        <Shell
          me={state.me}
          onSignOut={() => {
            signOut();
            setState({ status: 'signed-out' });
          }}
        />
      )}
    </LocationProvider>
  );
}
