/**
 * Publishing refuses a template that would render a sensitive value to someone who may not see
 * it, and checks the roles of `permissions` and `visibleTo` (domain/template-validation.ts).
 */
import { validateTemplate, type TemplateProblem } from '../../domain/template-validation';

const base = {
  key: 'pay',
  name: 'Pay review',
  roles: ['hr', 'payroll', 'manager'],
  fields: [
    { key: 'fullName', type: 'text' },
    { key: 'email', type: 'email' },
    { key: 'salary', type: 'number', sensitive: true, visibleTo: ['payroll', 'hr'] },
    { key: 'bonus', type: 'number', sensitive: true, visibleTo: ['payroll'] },
  ],
  documents: [
    { key: 'passport', sensitive: true, visibleTo: ['hr'] },
    { key: 'payslip', sensitive: true, visibleTo: ['payroll'] },
    { key: 'letter' },
  ],
  stages: [{ key: 'open' }, { key: 'done', terminal: true }],
};

function problems(extra: Record<string, unknown>): TemplateProblem[] {
  const result = validateTemplate({ ...base, ...extra }, { webhookAllowedHosts: ['hooks.example.com'] });
  return result.ok ? [] : result.problems;
}

const email = (to: unknown, subject: string, body?: string) => ({ email: { to, subject, ...(body ? { body } : {}) } });

describe('who may see and start', () => {
  test('permissions and visibleTo name declared roles', () => {
    expect(problems({ permissions: { view: ['hr'], start: ['manager'] } })).toEqual([]);
    expect(problems({ permissions: { view: ['ghost'], start: ['nobody'] } })).toEqual([
      { path: 'permissions.view[0]', message: 'unknown role "ghost" (declare it in roles)' },
      { path: 'permissions.start[0]', message: 'unknown role "nobody" (declare it in roles)' },
    ]);
    const fields = [...base.fields, { key: 'x', type: 'text', sensitive: true, visibleTo: ['ghost'] }, { key: 'y', type: 'text', visibleTo: ['hr'] }];
    expect(problems({ fields })).toEqual([
      { path: 'fields[4].visibleTo[0]', message: 'unknown role "ghost" (declare it in roles)' },
      { path: 'fields[5].visibleTo', message: expect.stringContaining('only applies to a sensitive one') },
    ]);
  });

  test('auditors are read-only: never given the right to start, act or comment', () => {
    const withAuditor = { roles: [...base.roles, 'auditor'] };
    expect(problems({ ...withAuditor, permissions: { view: ['auditor'] } })).toEqual([]);
    expect(problems({ ...withAuditor, permissions: { start: ['auditor'] } }).map((p) => p.path)).toEqual(['permissions.start[0]']);
    const stages = [{ key: 'open', permissions: { act: ['hr', 'auditor'], comment: ['auditor'] } }, { key: 'done', terminal: true }];
    expect(problems({ ...withAuditor, stages }).map((p) => p.path)).toEqual(['stages[0].permissions.act[1]', 'stages[0].permissions.comment[0]']);
  });
});

describe('messages that render sensitive values', () => {
  test('allowed only to role: recipients among every rendered value’s visibleTo', () => {
    const ok = [{ on: 'case.created', do: [email(['role:payroll', 'role:hr'], 'Salary {{fields.salary}}'), email('role:payroll', '{{fields.salary}} + {{fields.bonus}}')] }];
    expect(problems({ automations: ok })).toEqual([]);
  });

  test.each([
    ['a literal address', 'boss@example.com'],
    ['the owner', 'owner'],
    ['a user', 'user:max'],
    ['a participant', 'participant:candidate'],
    ['an e-mail field', 'field:email'],
    ['a role outside visibleTo', 'role:manager'],
  ])('refused to %s, with the path of the text', (_what, to) => {
    const found = problems({ automations: [{ on: 'case.created', do: [email(to, 'Hello {{fields.fullName}}', 'Your pay: {{fields.salary}}')] }] });
    expect(found).toEqual([{ path: 'automations[0].do[0].email.body', message: expect.stringContaining('renders sensitive field "salary"') }]);
    expect(found[0]?.message).toContain(`not to ${to}`);
  });

  test('a role that may see one value but not another is refused for both together', () => {
    const found = problems({ automations: [{ on: 'case.created', do: [email('role:hr', '{{fields.salary}} and {{fields.bonus}}')] }] });
    expect(found).toEqual([{ path: 'automations[0].do[0].email.subject', message: expect.stringContaining('role:payroll') }]);
  });

  test('notifications, escalations, sections and the whole fields object are checked too', () => {
    const stages = [
      { key: 'open', sla: { deadline: '1d', escalations: [{ after: '1h', do: [{ notify: { to: 'role:manager', body: '{{#fields.bonus}}{{.}}{{/fields.bonus}}' } }] }] } },
      { key: 'done', terminal: true },
    ];
    expect(problems({ stages, automations: [{ on: 'case.created', do: [{ notify: { to: 'owner', subject: '{{fields}}' } }] }] }).map((p) => p.path)).toEqual([
      'automations[0].do[0].notify.subject',
      'stages[0].sla.escalations[0].do[0].notify.body',
    ]);
  });

  test('the values a triggering event carries: field.changed of a sensitive field, document events of a sensitive slot', () => {
    const automations = [
      { on: 'field.changed', field: 'salary', do: [email('owner', 'Changed to {{event.data.new}}')] },
      { on: 'field.changed', field: 'fullName', do: [email('owner', 'Changed to {{event.data.new}}')] },
      { on: 'field.changed', do: [email('owner', '{{event.data.field}} changed')] },
      { on: 'document.uploaded', do: [email('role:payroll', 'Got {{event.data.fileName}}')] },
    ];
    expect(problems({ automations })).toEqual([
      { path: 'automations[0].do[0].email.subject', message: expect.stringContaining('sensitive field "salary"') },
      { path: 'automations[3].do[0].email.subject', message: expect.stringContaining('sensitive document slot "passport"') },
    ]);
  });

  test('task titles and descriptions are read by everyone who sees the case', () => {
    const found = problems({ automations: [{ on: 'case.created', do: [{ createTask: { title: 'Pay {{fields.salary}}', description: 'ok {{fields.fullName}}' } }] }] });
    expect(found).toEqual([{ path: 'automations[0].do[0].createTask.title', message: expect.stringContaining('tasks are read by everyone') }]);
  });
});

describe('webhooks and documents', () => {
  test('a template with sensitive fields cannot call webhooks: they carry every field value', () => {
    const automations = [{ on: 'case.created', do: [{ webhook: { url: 'https://hooks.example.com/x' } }] }];
    expect(problems({ automations })).toEqual([{ path: 'automations[0].do[0].webhook', message: expect.stringContaining('cannot call webhooks') }]);
    const open = { fields: [{ key: 'fullName', type: 'text' }], documents: [{ key: 'letter' }] };
    expect(problems({ ...open, automations })).toEqual([]);
  });

  test('a document template renders sensitive values only into a sensitive slot read by roles that may see them', () => {
    const documentTemplates = [
      { key: 'slip', title: 'Payslip', slot: 'payslip', body: '{{fields.fullName}}: {{fields.salary}} + {{fields.bonus}}' },
      { key: 'open', title: 'Letter', slot: 'letter', body: 'Salary {{fields.salary}}' },
      { key: 'narrow', title: 'Passport note {{fields.salary}}', slot: 'passport', body: 'hr may see the salary' },
      { key: 'wide', title: 'Passport note {{fields.bonus}}', slot: 'passport', body: 'x' },
      { key: 'event', title: 'Event', slot: 'letter', body: '{{event.data.new}}' },
    ];
    expect(problems({ documentTemplates })).toEqual([
      { path: 'documentTemplates[1].body', message: expect.stringContaining('slot "letter" is not sensitive') },
      { path: 'documentTemplates[3].title', message: expect.stringContaining('readable by role hr, which may not see it') },
      { path: 'documentTemplates[4].body', message: expect.stringContaining('is not sensitive') },
    ]);
  });
});
