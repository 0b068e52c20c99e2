import Mustache from 'mustache';

/**
 * Logic-less templates for e-mail, notifications, tasks and generated documents. HTML output
 * escapes every value; text output (subjects, PDFs) does not, since nothing interprets it.
 */
export function renderTemplate(source: string, context: object, mode: 'html' | 'text'): string {
  return Mustache.render(source, context, {}, mode === 'html' ? { escape: Mustache.escape } : { escape: (v: unknown) => String(v) });
}

/** Why a template does not compile (unclosed section, bad tag), or undefined when it does. */
export function templateSyntaxProblem(source: string): string | undefined {
  try {
    Mustache.parse(source);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The top-level names a template refers to (`case`, `fields`, `portal` …), for reference checks. */
export function templateNames(source: string): string[] {
  const names = new Set<string>();
  const walk = (tokens: Mustache.TemplateSpans) => {
    for (const token of tokens) {
      const [type, value] = token;
      if (type === 'name' || type === '&' || type === '#' || type === '^') names.add(String(value));
      if (Array.isArray(token[4])) walk(token[4] as Mustache.TemplateSpans);
    }
  };
  walk(Mustache.parse(source));
  return [...names];
}
