import path from 'node:path';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';

/**
 * The team console (console/): a Preact single-page app that talks only to the public /v1 API.
 * esbuild bundles it the first time /console is asked for (~0.3 s, then kept in memory), so
 * `npm start` and the tests need no build step and no dev server; an image can prebuild it with
 * `npm run build:console` (CONSOLE_DIST then points at the result).
 */
const SOURCE = path.resolve(__dirname, '..', 'console');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export interface ConsoleAssets {
  /** By file name: app.js, app.css (and their source maps). */
  files: Map<string, Asset>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

function asset(name: string, body: Buffer): Asset {
  return { body, type: TYPES[path.extname(name)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Bundles console/main.tsx (and the CSS it imports) with esbuild; `outdir` writes the files too. */
export async function buildConsole(opts: { outdir?: string; minify?: boolean } = {}): Promise<ConsoleAssets> {
  // Loaded on demand: the API process pays for esbuild only when someone opens the console.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: path.join(SOURCE, 'main.tsx') },
    bundle: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    legalComments: 'linked',
    outdir: opts.outdir ?? '/console-assets',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const files = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    files.set(name, asset(name, Buffer.from(file.contents)));
    if (opts.outdir) {
      fs.mkdirSync(opts.outdir, { recursive: true });
      fs.writeFileSync(file.path, file.contents);
    }
  }
  return { files };
}

function loadPrebuilt(dir: string): ConsoleAssets {
  const files = new Map<string, Asset>();
  for (const name of fs.readdirSync(dir)) files.set(name, asset(name, fs.readFileSync(path.join(dir, name))));
  return { files };
}

const shared = new Map<string, Promise<ConsoleAssets>>();
/** One build (or load) per process and source, shared by every app instance (tests start many). */
function consoleAssets(prebuiltDir: string | undefined): Promise<ConsoleAssets> {
  const key = prebuiltDir ?? '';
  let assets = shared.get(key);
  if (!assets) {
    assets = prebuiltDir ? Promise.resolve().then(() => loadPrebuilt(prebuiltDir)) : buildConsole();
    // A failed build is tried again on the next request.
    assets.catch(() => shared.delete(key));
    shared.set(key, assets);
  }
  return assets;
}

/**
 * The console's Content-Security-Policy: its own script and styles only, calls to this origin,
 * images from itself, data: and blob: (document previews); nothing inline, no framing.
 */
function consoleCsp(sso: ConsoleSso | undefined): string {
  // With single sign-on the console also talks to the identity provider (discovery, token endpoint).
  const idp = sso ? ` ${new URL(sso.issuer).origin}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${idp}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Single sign-on for the console: the identity provider and the console's (public) client id there. */
export interface ConsoleSso {
  issuer: string;
  clientId: string;
  scopes: string;
}

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function page(title: string, sso: ConsoleSso | undefined): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${sso ? `<meta name="case-console-sso" content="${escapeAttribute(JSON.stringify(sso))}">\n` : ''}<title>${title}</title>
<link rel="stylesheet" href="/console/assets/app.css">
<script type="module" src="/console/assets/app.js"></script>
</head>
<body>
<noscript>The console needs JavaScript. The same operations are available through the API at <a href="/docs">/docs</a>.</noscript>
<div id="app"></div>
</body>
</html>
`;
}

/** Serves the console: its assets under /console/assets, and the app's page for every other /console URL (client-side routes). */
export function consoleRouter(opts: { prebuiltDir?: string; sso?: ConsoleSso } = {}): express.Router {
  const router = express.Router();
  const csp = consoleCsp(opts.sso);
  router.use((_req, res, next) => {
    res.set('Content-Security-Policy', csp);
    next();
  });
  router.get('/assets/:file', async (req: Request<{ file: string }>, res: Response) => {
    const assets = await consoleAssets(opts.prebuiltDir);
    const file = assets.files.get(req.params.file);
    if (!file) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res.set({ 'Content-Type': file.type, ETag: file.etag, 'Cache-Control': 'no-cache' });
    if (req.get('If-None-Match') === file.etag) {
      res.status(304).end();
      return;
    }
    res.send(file.body);
  });
  router.get('/{*rest}', (_req, res) => {
    // The page is tiny and never cached, so a new version of the app reaches everyone on reload.
    res.set('Cache-Control', 'no-store').type('html').send(page('Case console', opts.sso));
  });
  return router;
}
