import { isAllowedWebhookHost, webhookUrlProblem } from '../../domain/webhook-hosts';

describe('isAllowedWebhookHost', () => {
  const allowed = ['hooks.example.com', '*.partner.io', '127.0.0.1:8080', '[::1]'];

  it.each([
    ['https://hooks.example.com/x', true],
    ['https://HOOKS.Example.COM/x', true],
    ['https://hooks.example.com./x', true],
    ['https://hooks.example.com:8443/x', true], // an entry without port allows every port
    ['http://hooks.example.com/x', true],
    ['https://other.example.com/x', false],
    ['https://example.com/x', false],
    ['https://evilhooks.example.com/x', false],
    ['https://hooks.example.com.evil.net/x', false],
    ['https://a.partner.io/x', true],
    ['https://a.b.partner.io/x', true],
    ['https://partner.io/x', false], // a wildcard means subdomains only
    ['https://xpartner.io/x', false],
    ['https://a.partner.io.evil.net/x', false],
    ['http://127.0.0.1:8080/hook', true],
    ['http://127.0.0.1:8081/hook', false], // an entry with port allows only that port
    ['http://127.0.0.1/hook', false],
    ['http://[::1]:9000/hook', true],
  ])('%s → %s', (url, expected) => {
    expect(isAllowedWebhookHost(url, allowed)).toBe(expected);
  });

  it('allows nothing with an empty list and says why', () => {
    expect(isAllowedWebhookHost('https://hooks.example.com/x', [])).toBe(false);
    expect(webhookUrlProblem('https://hooks.example.com/x', [])).toMatch(/WEBHOOK_ALLOWED_HOSTS is empty/);
  });

  it('refuses what is not an http(s) URL, and URLs with credentials, whatever the host', () => {
    expect(webhookUrlProblem('hooks.example.com/x', allowed)).toMatch(/not an absolute URL/);
    expect(webhookUrlProblem('ftp://hooks.example.com/x', allowed)).toMatch(/http or https, not ftp/);
    expect(webhookUrlProblem('file:///etc/passwd', allowed)).toMatch(/http or https/);
    expect(webhookUrlProblem('https://user:secret@hooks.example.com/x', allowed)).toMatch(/credentials/);
    expect(webhookUrlProblem('https://evil.net/x', allowed)).toMatch(/evil\.net is not in WEBHOOK_ALLOWED_HOSTS/);
  });

  it('ignores malformed wildcard entries instead of widening them', () => {
    expect(isAllowedWebhookHost('https://a.example.com/x', ['*.'])).toBe(false);
    expect(isAllowedWebhookHost('https://a.example.com/x', ['*'])).toBe(false);
    expect(isAllowedWebhookHost('https://a.b.example.com/x', ['*.*.example.com'])).toBe(false);
    expect(isAllowedWebhookHost('https://a.example.com:8080/x', ['*.example.com:8080'])).toBe(false);
    expect(isAllowedWebhookHost('https://a.example.com/x', ['  *.EXAMPLE.com  '])).toBe(true);
  });
});
