import type { TemplateDefinition } from '../domain/template';
import type { CaseWorkflowInput } from './messages';

/**
 * The definition a case runs on, and whether it fits today's template schema. The API reads a
 * pinned definition through the schema before it starts a case, so the workflow never loads zod
 * (~0.7 MB of heap in every case's context). Cases started before the API did that read it here,
 * once per run: only they pay for zod.
 */
export function pinnedDefinition(input: CaseWorkflowInput): { definition: TemplateDefinition; current: boolean } {
  if (input.templateCurrent !== undefined) return { definition: input.template.definition, current: input.templateCurrent };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for old runs (see above)
  const { readPinnedDefinition } = require('../domain/schemas/template') as typeof import('../domain/schemas/template');
  return readPinnedDefinition(input.template.definition);
}
