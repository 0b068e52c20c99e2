import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { resolvePortalLink, type PortalLink } from '../../db/portal-links';
import { getTimeline } from '../../db/read-model';
import type { Actor } from '../../domain/actor';
import type { CaseView } from '../../domain/case-view';
import type { FieldError } from '../../domain/fields';
import { documentRequests, parsePortalForm, publicTimeline, PUBLIC_EVENT_TYPES, slotLabel, type TimelineEventLike } from '../../domain/portal';
import type { TemplateDefinition } from '../../domain/template';
import type { PortalAction } from '../../metrics/case-metrics';
import type { ApiDeps } from '../deps';
import { fileReceiver, loadCase, uploadDocument } from '../documents';
import { isDatabaseUnavailable } from '../../db/errors';
import { Problem, clientErrorStatus } from '../errors';
import { findFlaw, refuseMalformedUrl } from '../input-guards';
import { fieldErrorLinks, renderCasePage, renderMessagePage, type Notice } from './pages';

/**
 * The external portal: `/portal/<token>` shows one case to one external participant, who can
 * upload the documents asked of them and fill in the fields open to them — no account, no
 * JavaScript. Every response is HTML with strict security headers; requests are rate-limited
 * per client IP (PORTAL_RATE_LIMIT per minute), token guesses included.
 */

const PUBLIC_TIMELINE_LIMIT = 50;

const redact = (url: string) => url.replace(/\/portal\/[^/?#]+/g, '/portal/<token>');

/** pino-http serializers that keep portal tokens (request URLs, redirect locations) out of the logs. */
export const portalLogSerializers = {
  req: (req: { url?: unknown }) => (typeof req.url === 'string' ? { ...req, url: redact(req.url) } : req),
  res: (res: { headers?: Record<string, unknown> }) => {
    const location = res.headers?.location;
    return typeof location === 'string' ? { ...res, headers: { ...res.headers, location: redact(location) } } : res;
  },
};

/** Raised for a link that opens nothing: 404 for unknown, revoked or orphaned links, 410 for expired ones. */
class LinkRefused extends Error {
  constructor(readonly status: 404 | 410) {
    super(status === 404 ? 'portal link not found' : 'portal link expired');
  }
}

interface OpenedPortal {
  token: string;
  link: PortalLink;
  view: CaseView;
  template: TemplateDefinition;
  actor: Actor;
}

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    // The token is in the URL: never leak it to another site.
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
    'X-Robots-Tag': 'noindex, nofollow',
  });
  next();
};

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).type('html').send(html);
}

function sendRefusal(res: Response, status: 404 | 410): void {
  if (status === 410) {
    sendPage(res, 410, renderMessagePage('This link has expired', 'Links to this page are valid for a limited time. Please ask your contact for a new link.'));
  } else {
    sendPage(res, 404, renderMessagePage('This link is not valid', 'Check that you copied the whole link from your message, or ask your contact for a new one.'));
  }
}

export function portalRouter(deps: ApiDeps): express.Router {
  const router = express.Router();
  const receive = fileReceiver(deps.config.DOCUMENT_MAX_BYTES);
  const maxMb = (deps.config.DOCUMENT_MAX_BYTES / (1024 * 1024)).toFixed(deps.config.DOCUMENT_MAX_BYTES % (1024 * 1024) === 0 ? 0 : 2);

  router.use(securityHeaders);
  router.use(
    rateLimit({
      windowMs: 60_000,
      limit: deps.config.PORTAL_RATE_LIMIT,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // The app trusts X-Forwarded-For (`trust proxy`); the key is the client address it yields.
      validate: { trustProxy: false },
      handler: (_req, res, _next, options) => {
        sendPage(res, options.statusCode, renderMessagePage('Too many requests', 'Please wait a minute and try again.'));
      },
    }),
  );
  // After the rate limit, so malformed guesses count too; refusals become pages (portalErrors).
  router.use(refuseMalformedUrl);

  async function open(token: string): Promise<OpenedPortal> {
    const resolved = await resolvePortalLink(deps.db, token);
    if (!resolved.ok) throw new LinkRefused(resolved.reason === 'expired' ? 410 : 404);
    const { link } = resolved;
    let loaded: Awaited<ReturnType<typeof loadCase>>;
    try {
      loaded = await loadCase(deps, link.caseKey, { allowArchived: true });
    } catch (err) {
      if (err instanceof Problem && err.code === 'case_not_found') throw new LinkRefused(404);
      throw err;
    }
    // A participant removed from the case loses the portal with it.
    const participant = loaded.view.participants.find((p) => p.participantId === link.participantId && p.kind === 'external');
    if (!participant) throw new LinkRefused(404);
    return { token, link, ...loaded, actor: { id: participant.participantId, name: participant.name, roles: [], kind: 'external' } };
  }

  async function timelineOf(opened: OpenedPortal) {
    const events: TimelineEventLike[] = [];
    let after: number | undefined;
    for (let page = 0; page < 20; page++) {
      const got = await getTimeline(deps.db, opened.link.caseKey, { ...(after === undefined ? {} : { after }), limit: 500, types: [...PUBLIC_EVENT_TYPES] });
      events.push(...got.items);
      if (got.nextCursor === null) break;
      after = got.nextCursor;
    }
    return publicTimeline(opened.template, events, opened.link.participantId).reverse().slice(0, PUBLIC_TIMELINE_LIMIT);
  }

  async function renderCase(res: Response, opened: OpenedPortal, status: number, extra: { notice?: Notice; fieldErrors?: FieldError[]; submitted?: Record<string, unknown> } = {}) {
    const timeline = await timelineOf(opened);
    const participant = opened.view.participants.find((p) => p.participantId === opened.link.participantId);
    sendPage(res, status, renderCasePage({ token: opened.token, view: opened.view, template: opened.template, participantName: participant?.name ?? '', timeline, ...extra }));
  }

  /** Resolves the token for a handler (counting the link's use as `action`); refusals become the 404/410 pages. */
  const withPortal =
    (action: PortalAction, handler: (opened: OpenedPortal, req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response, next: NextFunction) => {
      // Counted once per request: a link that stops working halfway (a handler reopens it) was opened.
      let counted = false;
      try {
        const opened = await open(String(req.params.token));
        deps.metrics?.portalRequest(action, 'opened');
        counted = true;
        await handler(opened, req, res);
      } catch (err) {
        if (err instanceof LinkRefused) {
          if (!counted) deps.metrics?.portalRequest(action, err.status === 410 ? 'expired' : 'invalid');
          // Let an unread upload finish arriving before the answer, so browsers show the page.
          req.resume();
          sendRefusal(res, err.status);
        } else next(err);
      }
    };

  const notices: Record<string, (req: Request, template: TemplateDefinition) => string | undefined> = {
    uploaded: (req, template) => {
      const slot = template.documents.find((d) => d.key === req.query.slot && d.external);
      return `Thank you: we received ${slot ? `your ${slotLabel(slot)}` : 'your document'}.`;
    },
    saved: () => 'Thank you: your details were saved.',
    unchanged: () => 'Nothing to save: your details were already up to date.',
  };

  router.get(
    '/:token',
    withPortal('view', async (opened, req, res) => {
      const done = typeof req.query.done === 'string' && Object.hasOwn(notices, req.query.done) ? notices[req.query.done]?.(req, opened.template) : undefined;
      await renderCase(res, opened, 200, done ? { notice: { kind: 'success', text: done } } : {});
    }),
  );

  router.post(
    '/:token/documents/:slot',
    withPortal('upload', async (opened, req, res) => {
      const slotKey = String(req.params.slot);
      try {
        await uploadDocument(deps, {
          caseKey: opened.link.caseKey,
          slot: slotKey,
          actor: opened.actor,
          slotAllowed: (slot) => {
            if (!slot.external) throw new Problem('unknown_slot', `slot "${slot.key}" is not open to external participants`);
          },
          receive: () => receive(req, res),
        });
      } catch (err) {
        if (!(err instanceof Problem) || err.status >= 500) throw err;
        req.resume();
        const current = await open(opened.token);
        const slot = current.template.documents.find((d) => d.key === slotKey && d.external);
        await renderCase(res, current, err.status, { notice: { kind: 'error', text: uploadMessage(err, slot ? slotLabel(slot) : 'this document', maxMb, current) } });
        return;
      }
      res.redirect(303, `/portal/${encodeURIComponent(opened.token)}?done=uploaded&slot=${encodeURIComponent(slotKey)}`);
    }),
  );

  router.post(
    '/:token/form',
    express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }),
    withPortal('form', async (opened, req, res) => {
      const submitted = (req.body ?? {}) as Record<string, unknown>;
      const flaw = findFlaw(submitted);
      if (flaw) {
        // A NUL cannot be stored: refuse the form, and show it again without the NULs.
        const field = flaw.path.split('.')[0] ?? '';
        await renderCase(res, opened, 422, {
          notice: { kind: 'error', text: 'Some details could not be saved:', errors: fieldErrorLinks(opened.template, [{ field, message: 'contains a character that cannot be saved' }]) },
          fieldErrors: [{ field, message: 'contains a character that cannot be saved' }],
          submitted: withoutNul(submitted),
        });
        return;
      }
      if (opened.view.status !== 'open') {
        await renderCase(res, opened, 409, { notice: { kind: 'error', text: `This case is ${opened.view.status}; nothing can be changed any more.` } });
        return;
      }
      const parsed = parsePortalForm(opened.template, submitted, opened.view.fields);
      if (!parsed.ok) {
        await renderCase(res, opened, 422, {
          notice: { kind: 'error', text: 'Some details could not be saved:', errors: fieldErrorLinks(opened.template, parsed.errors) },
          fieldErrors: parsed.errors,
          submitted,
        });
        return;
      }
      const base = `/portal/${encodeURIComponent(opened.token)}`;
      if (Object.keys(parsed.values).length === 0) {
        res.redirect(303, `${base}?done=unchanged`);
        return;
      }
      try {
        await deps.cases.execute(opened.link.caseKey, { actor: opened.actor, command: { type: 'setFields', values: parsed.values } });
      } catch (err) {
        if (!(err instanceof Problem) || err.status >= 500) throw err;
        if (err.code === 'no_change') {
          res.redirect(303, `${base}?done=unchanged`);
          return;
        }
        const current = await open(opened.token);
        const errors = (err.extra.errors ?? []).map((e) => ({ field: e.path.replace(/^fields\./, ''), message: e.message }));
        await renderCase(res, current, err.status, {
          notice: { kind: 'error', text: err.code === 'invalid_fields' ? 'Some details could not be saved:' : formMessage(err), errors: fieldErrorLinks(current.template, errors) },
          fieldErrors: errors,
          submitted,
        });
        return;
      }
      res.redirect(303, `${base}?done=saved`);
    }),
  );

  router.use((_req, res) => sendRefusal(res, 404));
  router.use(portalErrors(deps));
  return router;
}

function uploadMessage(err: Problem, label: string, maxMb: string, opened: OpenedPortal): string {
  switch (err.code) {
    case 'payload_too_large':
      return `The file for ${label} is too large: files can be up to ${maxMb} MB.`;
    case 'unsupported_content_type': {
      const request = documentRequests(opened.template, opened.view.documents).find((r) => r.label === label);
      return `This type of file is not accepted for ${label}.${request?.contentTypes ? ` Accepted: ${request.contentTypes.join(', ')}.` : ''}`;
    }
    case 'invalid_file_name':
      return 'The file name could not be used. Please rename the file and try again.';
    case 'validation_failed':
      if (err.extra.errors?.some((e) => e.message.includes('NUL'))) return 'The upload contains a character that cannot be saved. Please try again.';
      return `Please choose a file for ${label}.`;
    case 'malformed_multipart':
    case 'unsupported_media_type':
      return 'The upload did not arrive complete. Please try again.';
    case 'case_not_open':
      return 'This case is closed; nothing can be sent any more.';
    case 'unknown_slot':
      return 'This document is not asked of you.';
    default:
      return 'The document could not be accepted. Please try again or contact us.';
  }
}

function formMessage(err: Problem): string {
  switch (err.code) {
    case 'case_not_open':
      return 'This case is closed; nothing can be changed any more.';
    case 'forbidden':
      return 'These details cannot be changed here.';
    default:
      return 'Your details could not be saved. Please try again or contact us.';
  }
}

/** Submitted form values with every NUL removed, to show the form again. */
function withoutNul(submitted: Record<string, unknown>): Record<string, unknown> {
  const strip = (v: unknown) => (typeof v === 'string' ? v.replace(/\u0000/g, '') : Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x.replace(/\u0000/g, '') : x)) : v);
  return Object.fromEntries(Object.entries(submitted).map(([k, v]) => [k.replace(/\u0000/g, ''), strip(v)]));
}

function portalErrors(deps: ApiDeps): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err?.type === 'entity.too.large') return sendPage(res, 413, renderMessagePage('Too much data', 'The form was too large to accept.'));
    if (err?.type === 'entity.parse.failed' || err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') {
      return sendPage(res, 400, renderMessagePage('The form could not be read', 'Please go back and try again.'));
    }
    // A dependency down, a busy or unavailable case, the API at capacity: the visitor can retry.
    if ((err instanceof Problem && err.status >= 503) || isDatabaseUnavailable(err)) {
      res.set('Retry-After', '30');
      return sendPage(res, 503, renderMessagePage('Temporarily unavailable', 'Please try again in a few minutes.'));
    }
    if ((err instanceof Problem && err.code === 'malformed_uri') || err instanceof URIError) {
      return sendPage(res, 400, renderMessagePage('This link is not valid', 'Check that you copied the whole link from your message, or ask your contact for a new one.'));
    }
    // Any other refusal of the request itself (a bad query, too many form fields, …) is the client's: a 4xx page, never a 500.
    const status = err instanceof Problem ? (err.status < 500 ? err.status : undefined) : clientErrorStatus(err);
    if (status !== undefined) {
      return sendPage(res, status, renderMessagePage('The request could not be read', 'Please go back and try again.'));
    }
    deps.log.error({ err, path: req.path.replace(/\/portal\/[^/]+/, '/portal/<token>') }, 'portal request failed');
    sendPage(res, 500, renderMessagePage('Something went wrong', 'Please try again later. If it keeps happening, contact us.'));
  };
}
