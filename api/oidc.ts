import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { TEXT } from '../domain/limits';
import type { Actor } from '../domain/actor';
import { isEmail } from '../domain/shapes';
import { Problem } from './errors';

/**
 * Single sign-on: OIDC access or ID tokens (JWTs) as bearer tokens, verified with `jose` —
 * signature against the issuer's JWKS (fetched when first needed, cached, refetched when a token
 * names an unknown `kid`, at most every OIDC_JWKS_COOLDOWN_S: key rotation needs no restart),
 * `iss`, `aud`, `exp` (required) and `nbf` with OIDC_CLOCK_TOLERANCE_S of leeway, and only the
 * asymmetric algorithms of OIDC_ALGORITHMS (`none` and HS* never). A verified token maps to an
 * actor through configurable claims. A refusal is a reason for the log, never for the client.
 */

export type JwtVerdict = { ok: true; actor: Actor } | { ok: false; reason: string };

type Settings = Pick<
  Config,
  | 'OIDC_ISSUER'
  | 'OIDC_AUDIENCE'
  | 'OIDC_JWKS_URL'
  | 'OIDC_ALGORITHMS'
  | 'OIDC_CLAIM_ID'
  | 'OIDC_CLAIM_NAME'
  | 'OIDC_CLAIM_EMAIL'
  | 'OIDC_CLAIM_ROLES'
  | 'OIDC_CLOCK_TOLERANCE_S'
  | 'OIDC_JWKS_COOLDOWN_S'
>;

/** Compact JWS: three base64url segments. API tokens (`cot_…`) never contain a dot. */
const JWT_FORM = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
export const looksLikeJwt = (token: string): boolean => JWT_FORM.test(token);

/** How long a fetch of the discovery document or the JWKS may take. */
const FETCH_TIMEOUT_MS = 5_000;
/** After a failed discovery, requests wait this long before it is tried again (the provider is not hammered). */
const DISCOVERY_RETRY_MS = 10_000;
const MAX_ROLES = 50;
const MAX_ROLE_LENGTH = 100;
/** Control characters (NUL above all: PostgreSQL cannot store it) have no place in an id, a name or a role. */
const CONTROL = /[\u0000-\u001f\u007f]/;

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;

/** The identity provider could not be asked (discovery or JWKS unreachable, malformed, slow): 503, not the token's fault. */
class ProviderUnavailable extends Error {}

export class OidcVerifier {
  private jwks: Promise<RemoteJwks> | undefined;

  constructor(
    private readonly settings: Settings & { OIDC_ISSUER: string },
    private readonly log: Logger,
  ) {}

  /** Verifies a JWT; throws `503 dependency_unavailable` when the provider's keys cannot be had. */
  async verify(token: string): Promise<JwtVerdict> {
    const s = this.settings;
    // Tokens of another issuer are refused before any key is fetched for them.
    const unverified = safeDecode(token);
    if (!unverified) return { ok: false, reason: 'malformed JWT' };
    if (unverified.iss !== s.OIDC_ISSUER) return { ok: false, reason: 'issuer mismatch' };
    try {
      const { payload } = await jwtVerify(token, await this.keys(), {
        issuer: s.OIDC_ISSUER,
        audience: s.OIDC_AUDIENCE,
        algorithms: s.OIDC_ALGORITHMS,
        clockTolerance: s.OIDC_CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      });
      return actorFromClaims(payload, s);
    } catch (err) {
      if (err instanceof ProviderUnavailable || isProviderFailure(err)) throw this.unavailable(err);
      return { ok: false, reason: refusalReason(err) };
    }
  }

  private keys(): Promise<RemoteJwks> {
    this.jwks ??= this.discover().catch((err: unknown) => {
      // Forget the failure after a while, so a provider that comes back is found again.
      setTimeout(() => (this.jwks = undefined), DISCOVERY_RETRY_MS).unref();
      throw err instanceof ProviderUnavailable ? err : new ProviderUnavailable(String((err as Error).message ?? err));
    });
    return this.jwks;
  }

  /** The JWKS URL: OIDC_JWKS_URL, or `jwks_uri` of the issuer's discovery document (whose `issuer` must be ours). */
  private async discover(): Promise<RemoteJwks> {
    const s = this.settings;
    let url = s.OIDC_JWKS_URL;
    if (!url) {
      const where = `${s.OIDC_ISSUER.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(where, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'manual', headers: { accept: 'application/json' } });
      if (res.status !== 200) throw new ProviderUnavailable(`${where} answered ${res.status}`);
      const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      if (doc.issuer !== s.OIDC_ISSUER) throw new ProviderUnavailable(`${where} names issuer ${JSON.stringify(doc.issuer)}, not ${s.OIDC_ISSUER}`);
      if (typeof doc.jwks_uri !== 'string' || !URL.canParse(doc.jwks_uri)) throw new ProviderUnavailable(`${where} has no valid jwks_uri`);
      url = doc.jwks_uri;
    }
    return createRemoteJWKSet(new URL(url), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cooldownDuration: s.OIDC_JWKS_COOLDOWN_S * 1000,
    });
  }

  private lastOutageLog = 0;

  private unavailable(err: unknown): Problem {
    if (Date.now() - this.lastOutageLog > 10_000) {
      this.lastOutageLog = Date.now();
      this.log.error({ reason: (err as Error).message, issuer: this.settings.OIDC_ISSUER }, 'identity provider unavailable: JWTs cannot be verified');
    }
    return new Problem('dependency_unavailable', 'The identity provider cannot be reached to verify the token; try again shortly', { dependency: 'identity_provider' });
  }
}

/** A verifier when single sign-on is configured (OIDC_ISSUER), else undefined. */
export function oidcVerifier(config: Settings, log: Logger): OidcVerifier | undefined {
  const issuer = config.OIDC_ISSUER;
  return issuer ? new OidcVerifier({ ...config, OIDC_ISSUER: issuer }, log) : undefined;
}

function safeDecode(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

/** Fetching or reading the JWKS failed (network, timeout, not 200, not a key set) — as opposed to the token failing. */
function isProviderFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.code === 'ERR_JOSE_GENERIC';
  return true;
}

/** What failed, for the log only. */
function refusalReason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim}: ${err.reason}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key in the JWKS for its kid';
  if (err instanceof errors.JOSEError) return `${err.code}: ${err.message}`;
  return String(err);
}

/** A claim by name (namespaced claims such as `https://example.com/roles` contain dots), else by dotted path. */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let current: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Roles as a list of names, or a string of names separated by spaces or commas (like `scope`). */
function rolesOf(value: unknown): string[] {
  const names = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  const roles = names.filter((r): r is string => typeof r === 'string' && r.length > 0 && r.length <= MAX_ROLE_LENGTH && !CONTROL.test(r));
  return [...new Set(roles)].slice(0, MAX_ROLES);
}

/**
 * The actor a verified token stands for, within the bounds every actor must keep (it is recorded
 * on events and checked by the case workflow): an id of at most TEXT.userId characters (else the
 * token is refused), a name cut to TEXT.personName (falling back to `preferred_username`, then the
 * id), an e-mail only when it is one and the provider does not say it is unverified
 * (`email_verified: false`: an address a user typed in is not theirs yet), at most 50 roles.
 */
export function actorFromClaims(payload: JWTPayload, s: Pick<Settings, 'OIDC_CLAIM_ID' | 'OIDC_CLAIM_NAME' | 'OIDC_CLAIM_EMAIL' | 'OIDC_CLAIM_ROLES'>): JwtVerdict {
  const rawId = claimAt(payload, s.OIDC_CLAIM_ID);
  const id = typeof rawId === 'number' ? String(rawId) : typeof rawId === 'string' ? rawId : '';
  if (id.length === 0 || id.length > TEXT.userId || CONTROL.test(id)) {
    return { ok: false, reason: `claim ${s.OIDC_CLAIM_ID} is missing, empty, longer than ${TEXT.userId} characters or holds control characters` };
  }
  const named = [claimAt(payload, s.OIDC_CLAIM_NAME), payload.preferred_username]
    .map((n) => (typeof n === 'string' ? n.replace(new RegExp(CONTROL.source, 'g'), ' ').trim() : ''))
    .find((n) => n.length > 0);
  const name = (named ?? id).slice(0, TEXT.personName);
  const email = payload.email_verified === false ? undefined : claimAt(payload, s.OIDC_CLAIM_EMAIL);
  return {
    ok: true,
    actor: {
      id,
      name,
      roles: rolesOf(claimAt(payload, s.OIDC_CLAIM_ROLES)),
      kind: 'user',
      ...(typeof email === 'string' && email.length <= TEXT.email && isEmail(email) ? { email } : {}),
    },
  };
}
