import YAML from 'yaml';
import { z } from 'zod';
import { ADMIN_ROLE } from '../../domain/actor';
import { templateDefinitionSchema } from '../../domain/schemas/template';
import { validateTemplate } from '../../domain/template-validation';
import { PrefixTakenError, getTemplate, listTemplateVersions, listTemplates, publishTemplate } from '../../db/templates';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { defineRoute } from '../route';
import { publishedTemplateSchema, templateKeyParams, templateListSchema, templateVersionParams } from '../schemas';

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** Reads a template from a JSON body, or from YAML text when sent as YAML. */
function readDefinition(body: unknown): { definition: unknown; source?: string } {
  if (typeof body !== 'string') return { definition: body };
  try {
    return { definition: YAML.parse(body, { prettyErrors: true }), source: body };
  } catch (err) {
    throw new Problem('invalid_template', `The YAML does not parse: ${(err as Error).message}`, {
      errors: [{ path: 'body', message: (err as Error).message }],
    });
  }
}

export function templateRoutes({ db, config }: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/templates',
      summary: 'Publish a template',
      description:
        'Publishes a template definition (JSON, or YAML with a YAML content type). Publishing an existing key makes a new immutable version; ' +
        'publishing a definition identical to the latest version returns that version with 200. Every problem is reported at once (422). Requires the admin role.',
      tags: ['Templates'],
      rawBody: templateDefinitionSchema,
      bodyContentTypes: YAML_TYPES,
      responses: {
        201: { description: 'A new version was published', schema: publishedTemplateSchema },
        200: { description: 'Identical to the latest version: nothing new was published', schema: publishedTemplateSchema },
      },
      problems: ['invalid_template', 'prefix_taken', 'forbidden', 'unsupported_media_type'],
      handler: async ({ req, actor }) => {
        if (!actor.roles.includes(ADMIN_ROLE)) throw new Problem('forbidden', 'Publishing templates needs the admin role');
        if (req.body === undefined) throw new Problem('invalid_template', 'Send the template as JSON or YAML', { errors: [{ path: 'body', message: 'required' }] });
        const { definition, source } = readDefinition(req.body);
        const validation = validateTemplate(definition, { webhookAllowedHosts: config.WEBHOOK_ALLOWED_HOSTS });
        if (!validation.ok) {
          const n = validation.problems.length;
          throw new Problem('invalid_template', `The template has ${n} problem${n === 1 ? '' : 's'}`, { errors: validation.problems });
        }
        try {
          const published = await publishTemplate(db, { definition: validation.template, ...(source ? { source } : {}), publishedBy: actor.id });
          const { created, ...template } = published;
          return {
            status: created ? 201 : 200,
            headers: { Location: `/v1/templates/${template.key}/versions/${template.version}` },
            body: { ...template, name: template.definition.name },
          };
        } catch (err) {
          if (err instanceof PrefixTakenError) throw new Problem('prefix_taken', err.message);
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates',
      summary: 'List templates (latest version of each)',
      tags: ['Templates'],
      responses: { 200: { description: 'Templates', schema: templateListSchema } },
      handler: async () => ({ body: { items: await listTemplates(db) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates/:key',
      summary: 'The latest version of a template',
      tags: ['Templates'],
      params: templateKeyParams,
      responses: { 200: { description: 'The template', schema: publishedTemplateSchema } },
      problems: ['template_not_found'],
      handler: async ({ params }) => {
        const template = await getTemplate(db, params.key);
        if (!template) throw new Problem('template_not_found', `No template "${params.key}"`);
        return { body: { ...template, name: template.definition.name } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates/:key/versions',
      summary: 'Every published version of a template',
      tags: ['Templates'],
      params: templateKeyParams,
      responses: { 200: { description: 'Versions, oldest first', schema: z.object({ items: z.array(publishedTemplateSchema) }) } },
      problems: ['template_not_found'],
      handler: async ({ params }) => {
        const versions = await listTemplateVersions(db, params.key);
        if (!versions.length) throw new Problem('template_not_found', `No template "${params.key}"`);
        return { body: { items: versions.map((t) => ({ ...t, name: t.definition.name })) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates/:key/versions/:v',
      summary: 'One version of a template',
      tags: ['Templates'],
      params: templateVersionParams,
      responses: { 200: { description: 'The template version', schema: publishedTemplateSchema } },
      problems: ['template_not_found'],
      handler: async ({ params }) => {
        const template = await getTemplate(db, params.key, params.v);
        if (!template) throw new Problem('template_not_found', `No version ${params.v} of template "${params.key}"`);
        return { body: { ...template, name: template.definition.name } };
      },
    }),
  ];
}
