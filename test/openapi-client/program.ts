/**
 * A small client program written against types generated from /openapi.json (openapi-typescript)
 * with openapi-fetch: `npm run check:openapi-client` generates generated/schema.d.ts and
 * type-checks this file. If an operation, a request body or an answer changes shape, this stops
 * compiling — the contract a client generated from the document relies on.
 */
import createClient from 'openapi-fetch';
import type { paths, components } from './generated/schema';

type CaseView = components['schemas']['CaseView'];

export async function onboard(baseUrl: string, token: string): Promise<CaseView['stage']['key']> {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

  const started = await api.POST('/v1/cases', {
    headers: { 'idempotency-key': 'onboard-jane' },
    body: { template: 'employee-onboarding', title: 'Onboard Jane Doe', fields: { fullName: 'Jane Doe' } },
  });
  if (!started.data) throw new Error(`start refused: ${started.error?.code}`);
  const id = started.data.id;

  const fields = await api.PATCH('/v1/cases/{id}/fields', { params: { path: { id } }, body: { startDate: '2027-01-04', contractType: 'employee' } });
  if (fields.error) throw new Error(fields.error.detail);

  const moved = await api.POST('/v1/cases/{id}/advance', { params: { path: { id } }, body: { to: 'review' } });
  if (moved.error) throw new Error(`${moved.error.code}: ${JSON.stringify(moved.error.missing)}`);

  const view = await api.GET('/v1/cases/{id}', { params: { path: { id } } });
  if (!view.data) throw new Error('case not found');
  const page = await api.GET('/v1/cases', { params: { query: { template: 'employee-onboarding', stage: 'review', limit: 10 } } });
  const report = await api.GET('/v1/reports/{template}', { params: { path: { template: 'employee-onboarding' } } });
  // The list also answers CSV (Accept: text/csv): the JSON page is the object form.
  const cases = typeof page.data === 'object' ? page.data.items.length : 0;
  console.log(cases, report.data?.stages.length);
  return view.data.stage.key;
}
