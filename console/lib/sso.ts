/**
 * Single sign-on in the console: OpenID Connect Authorization Code flow with PKCE, as a public
 * client, through oauth4webapi (panva's maintained, dependency-free OAuth/OIDC library for
 * browsers). The API serves the issuer and client id in the console page's
 * `<meta name="case-console-sso">` when OIDC_ISSUER and OIDC_CONSOLE_CLIENT_ID are set. The access
 * token it gets is the bearer the API verifies as a JWT (issue 10's single sign-on).
 */
import * as oauth from 'oauth4webapi';
import { signIn } from './session';

export interface SsoConfig {
  issuer: string;
  clientId: string;
  scopes: string;
}

/** Where the identity provider sends the browser back (registered at the provider as the client's redirect URI). */
export const CALLBACK_PATH = '/console/signed-in';
const PENDING = 'case-console.sso-pending';

export function ssoConfig(): SsoConfig | undefined {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="case-console-sso"]');
  if (!meta?.content) return undefined;
  try {
    const parsed = JSON.parse(meta.content) as Partial<SsoConfig>;
    return parsed.issuer && parsed.clientId ? { issuer: parsed.issuer, clientId: parsed.clientId, scopes: parsed.scopes ?? 'openid profile email' } : undefined;
  } catch {
    return undefined;
  }
}

// Plain-http issuers are for local development and tests only; production issuers are https.
const insecureOk = (issuer: URL) => ({ [oauth.allowInsecureRequests]: issuer.protocol === 'http:' });

async function discover(config: SsoConfig): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(config.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecureOk(issuer)));
}

const redirectUri = () => `${location.origin}${CALLBACK_PATH}`;

/** Sends the browser to the identity provider; `returnTo` is where to land after signing in. */
export async function startSso(config: SsoConfig, returnTo: string): Promise<void> {
  const as = await discover(config);
  if (!as.authorization_endpoint) throw new Error('The identity provider has no authorization endpoint');
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  // The verifier stays in this tab; the provider only ever sees its hash.
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, returnTo }));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: config.scopes,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** On the callback page: trades the code for tokens, signs in with the access token, and says where to go next. */
export async function finishSso(config: SsoConfig): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as { verifier: string; state: string; nonce: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING);
  if (!pending) throw new Error('This sign-in was not started here (or was already finished). Start again.');
  const as = await discover(config);
  const client: oauth.Client = { client_id: config.clientId };
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), pending.state);
  const issuer = new URL(config.issuer);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri(), pending.verifier, insecureOk(issuer));
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
  signIn(tokens.access_token);
  return pending.returnTo.startsWith('/console') ? pending.returnTo : '/console';
}
