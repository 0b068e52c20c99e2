// An @ preceded by a word character or a dot is part of an e-mail address, not a mention.
const MENTION = /(?<![\p{L}\p{N}_.@])@([a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,62}[a-zA-Z0-9])?)/gu;

/** The distinct user ids mentioned as `@user` in a comment, in order of first appearance. */
export function parseMentions(text: string): string[] {
  const seen = new Set<string>();
  for (const match of text.matchAll(MENTION)) if (match[1]) seen.add(match[1]);
  return [...seen];
}
