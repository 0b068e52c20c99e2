import { ApplicationFailure } from '@temporalio/common';
import { generateDocumentActivity } from '../../activities/documents';
import { OVER_BUDGET } from '../../activities/email';
import type { DocumentStore } from '../../db/document-store';
import type { GenerateDocumentEffect } from '../../domain/effects';
import { renderContext } from '../support/effects';

/** A store that must not be reached: an over-budget document fails before anything is stored. */
const untouchable: DocumentStore = {
  put: () => Promise.reject(new Error('put called')),
  get: () => Promise.reject(new Error('get called')),
  stat: () => Promise.reject(new Error('stat called')),
  delete: () => Promise.reject(new Error('delete called')),
};

const tags = Array.from({ length: 200 }, (_, i) => `option-${String(i).padStart(3, '0')}`);
const explosive = '{{#fields.tags}}{{#fields.tags}}{{.}}{{/fields.tags}}{{/fields.tags}}';

function effect(texts: Partial<GenerateDocumentEffect['template']>): GenerateDocumentEffect {
  return {
    kind: 'generateDocument',
    key: 'ONB-7:4:0',
    caseKey: 'ONB-7',
    ref: { rule: 'automations[0]', trigger: 3 },
    depth: 0,
    template: { key: 'offer', title: 'Offer', slot: 'contract', body: 'Dear {{fields.fullName}}', ...texts },
    context: renderContext({ fields: { tags } }),
  };
}

describe('generateDocument activity with a text over its run-time budget', () => {
  const activity = generateDocumentActivity({ db: undefined as never, store: untouchable });

  it.each([
    ['body', { body: explosive }],
    ['title', { title: explosive }],
    ['fileName', { fileName: explosive }],
  ])('fails for good when the %s is over budget, before storing anything', async (part, texts) => {
    const failure = await activity(effect(texts)).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: OVER_BUDGET,
      nonRetryable: true,
      message: `effect ONB-7:4:0: document template "offer" ${part}: text exceeded its budget of 262,144 characters`,
    });
  });
});
