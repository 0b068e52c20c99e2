/**
 * A notice carried from the publish form to the page it leads to ("Published version 3"). Kept in
 * memory rather than in the URL: it is news about one action, so a reload or a bookmark of the
 * version's page must not repeat it.
 */
let pending: { path: string; text: string } | undefined;

export function leaveNotice(path: string, text: string): void {
  pending = { path, text };
}

/** The notice left for `path`, once: taking it clears it. */
export function takeNotice(path: string): string | undefined {
  if (pending?.path !== path) return undefined;
  const { text } = pending;
  pending = undefined;
  return text;
}
