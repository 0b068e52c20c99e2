/**
 * How the API serves the console: one page for every /console URL (client-side routes), the
 * bundle under /console/assets with ETags, a strict CSP everywhere, and a prebuilt bundle
 * (CONSOLE_DIST, as the image has) served exactly as built.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { buildConsole, consoleRouter } from '../../api/console';

const appWith = (opts: Parameters<typeof consoleRouter>[0]) => express().use('/console', consoleRouter(opts));

test('every console URL gets the app page with a strict CSP; assets have ETags', async () => {
  const app = appWith({});
  for (const url of ['/console', '/console/', '/console/boards/onboarding', '/console/cases/ONB-1']) {
    const page = await request(app).get(url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script type="module" src="/console/assets/app.js"></script>');
    expect(page.headers['cache-control']).toBe('no-store');
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.text).not.toContain('case-console-sso');
  }
  const script = await request(app).get('/console/assets/app.js');
  expect(script.status).toBe(200);
  expect(script.headers['content-type']).toContain('text/javascript');
  expect((await request(app).get('/console/assets/app.js').set('If-None-Match', script.headers.etag!)).status).toBe(304);
  expect((await request(app).get('/console/assets/app.css')).headers['content-type']).toContain('text/css');
  expect((await request(app).get('/console/assets/nope.js')).status).toBe(404);
}, 60_000);

test('with single sign-on the page names the provider and the CSP lets the console reach it', async () => {
  const app = appWith({ sso: { issuer: 'https://sso.example.com/realms/acme', clientId: 'case-console', scopes: 'openid' } });
  const page = await request(app).get('/console');
  expect(page.text).toContain('<meta name="case-console-sso" content="{&quot;issuer&quot;:&quot;https://sso.example.com/realms/acme&quot;');
  expect(page.headers['content-security-policy']).toContain("connect-src 'self' https://sso.example.com;");
});

test('a prebuilt console (CONSOLE_DIST) is served as built', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-dist-'));
  try {
    const built = await buildConsole({ outdir: dir });
    expect(fs.readdirSync(dir).sort()).toEqual([...built.files.keys()].sort());
    // Marked, so the answer can only have come from the directory, not from a build in memory.
    fs.appendFileSync(path.join(dir, 'app.js'), '\n// prebuilt\n');
    const script = await request(appWith({ prebuiltDir: dir })).get('/console/assets/app.js');
    expect(script.status).toBe(200);
    expect(Buffer.from(script.text)).toEqual(fs.readFileSync(path.join(dir, 'app.js')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
