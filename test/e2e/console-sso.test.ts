/**
 * Signing in to the console with single sign-on: the console sends the browser to the identity
 * provider (Authorization Code + PKCE), trades the code for tokens from the browser, and uses the
 * access token (a JWT the API verifies) as its bearer. A local fake provider stands in for the
 * real one; without OIDC_CONSOLE_CLIENT_ID the console offers tokens only.
 */
import { startFakeIdentityProvider, type FakeIdentityProvider } from '../support/oidc-provider';
import { expectNoSeriousAxeViolations, screenshot, startConsoleStack, type ConsoleStack } from '../support/browser';

let idp: FakeIdentityProvider;
let consoleStack: ConsoleStack;

beforeAll(async () => {
  idp = await startFakeIdentityProvider('case-api');
  idp.publish(await idp.newKey('k1'));
  consoleStack = await startConsoleStack({ env: { OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: 'case-api', OIDC_CONSOLE_CLIENT_ID: 'case-console' } });
}, 120_000);
afterAll(async () => {
  await consoleStack?.close();
  await idp?.close();
});

test('"Sign in with single sign-on" goes through the provider and lands signed in on the page that asked', async () => {
  idp.signInAs({ sub: 'sam', name: 'Sam Sso', roles: ['hr'] });
  const context = await consoleStack.newContext();
  const page = await context.newPage();
  const opened = await page.goto(`${consoleStack.base}/console/cases`);
  // The page names the provider, and its CSP lets the console reach the provider and nothing else.
  expect(opened?.headers()['content-security-policy']).toContain(`connect-src 'self' ${idp.issuer}`);
  await page.getByRole('button', { name: 'Sign in with single sign-on' }).waitFor();
  await expectNoSeriousAxeViolations(page, 'the sign-in page with single sign-on');
  await screenshot(page, 'console-sso-1-sign-in');

  await page.getByRole('button', { name: 'Sign in with single sign-on' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/console/cases');
  // The callback's code and state are gone from the address bar.
  expect(page.url()).not.toContain('code=');
  await expect(page.getByText('Sam Sso').first().isVisible()).resolves.toBe(true);
  // The provider saw the authorization request with a PKCE challenge and a token request.
  expect(idp.requests.some((r) => r.startsWith('/authorize?') && r.includes('code_challenge_method=S256'))).toBe(true);
  expect(idp.requests).toContain('/token');
  // What the console holds is the provider's access token, which the API maps to Sam.
  const token = (await page.evaluate('sessionStorage.getItem("case-console.token")')) as string;
  expect(token.split('.')).toHaveLength(3);
  expect(await consoleStack.api('GET', '/v1/me', undefined, token)).toEqual({ id: 'sam', name: 'Sam Sso', kind: 'user', roles: ['hr'] });
  await screenshot(page, 'console-sso-2-signed-in');
}, 120_000);

test('a callback nobody started is refused, and the user is asked to sign in again', async () => {
  const page = await (await consoleStack.newContext()).newPage();
  await page.goto(`${consoleStack.base}/console/signed-in?code=forged&state=forged`);
  await page.getByText(/Single sign-on did not complete/).waitFor();
  await expect(page.getByRole('button', { name: 'Sign in with single sign-on' }).isVisible()).resolves.toBe(true);
  expect(new URL(page.url()).pathname).toBe('/console');
}, 60_000);
