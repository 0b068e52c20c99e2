/**
 * Which URLs automation webhooks may call. Pure (no Node built-ins, `URL` is a language global),
 * so template validation at publish time and the webhook activity at call time apply the same rule.
 *
 * An allowlist entry is either an exact host (`hooks.example.com`, `127.0.0.1`, `[::1]`), an
 * exact host with port (`127.0.0.1:8080`, matching only that port), or `*.example.com`, which
 * matches every subdomain of example.com at any depth but not example.com itself (list both
 * when both are meant). Entries are compared case-insensitively; an empty list allows nothing.
 */

/** Why `url` may not be called as a webhook, or undefined when it may. */
export function webhookUrlProblem(url: string, allowed: readonly string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not an absolute URL`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `webhooks must use http or https, not ${parsed.protocol.replace(/:$/, '')}`;
  // fetch refuses URLs with credentials, and a secret in a template would be readable by every template reader.
  if (parsed.username || parsed.password) return 'webhook URLs may not contain credentials';
  const hostname = stripTrailingDot(parsed.hostname.toLowerCase());
  const host = parsed.port ? `${hostname}:${parsed.port}` : hostname;
  if (!allowed.some((entry) => hostMatches(entry, hostname, host))) {
    return allowed.length === 0
      ? `webhook host ${host} is not allowed: WEBHOOK_ALLOWED_HOSTS is empty`
      : `webhook host ${host} is not in WEBHOOK_ALLOWED_HOSTS (${allowed.join(', ')})`;
  }
  return undefined;
}

/** True when `url` is an http(s) URL without credentials whose host is on the allowlist. */
export function isAllowedWebhookHost(url: string, allowed: readonly string[]): boolean {
  return webhookUrlProblem(url, allowed) === undefined;
}

function hostMatches(rawEntry: string, hostname: string, host: string): boolean {
  const entry = stripTrailingDot(rawEntry.trim().toLowerCase());
  if (!entry) return false;
  if (entry.startsWith('*.')) {
    const domain = entry.slice(2);
    // A wildcard names a domain: a port or a further wildcard in it is not a pattern we support.
    if (!domain || domain.includes('*') || domain.includes(':')) return false;
    return hostname.length > domain.length + 1 && hostname.endsWith(`.${domain}`);
  }
  return entry === hostname || entry === host;
}

function stripTrailingDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}
