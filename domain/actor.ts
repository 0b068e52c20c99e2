import { TEXT } from './limits';
import { defaulted, formatted, list, object, oneOf, optional, rawText, type Infer } from './shapes';

/** Who did something: resolved by the API from the bearer token and recorded on every event. */
export const actorShape = object({
  id: rawText(TEXT.userId, 1),
  name: rawText(TEXT.personName, 1),
  roles: defaulted(list(rawText(100, 1), 50), []),
  /** External participants (portal) and automations act under their own kinds. */
  kind: defaulted(oneOf('user', 'external', 'system'), 'user'),
  /** The user's address, when the identity provider's token names one (single sign-on); API tokens have none. */
  email: optional(formatted('email', TEXT.email)),
});

export type Actor = Infer<typeof actorShape>;

/** Holders of this role may act in every stage regardless of the template's stage permissions. */
export const ADMIN_ROLE = 'admin';

export const systemActor: Actor = { id: 'system', name: 'System', roles: [ADMIN_ROLE], kind: 'system' };
