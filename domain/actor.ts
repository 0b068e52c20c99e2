import { z } from 'zod';

/** Who did something: resolved by the API from the bearer token and recorded on every event. */
export const actorSchema = z
  .object({
    id: z.string().min(1).max(200),
    name: z.string().min(1).max(200),
    roles: z.array(z.string().min(1).max(100)).max(50).default([]),
    /** External participants (portal) and automations act under their own kinds. */
    kind: z.enum(['user', 'external', 'system']).default('user'),
  })
  .strict();

export type Actor = z.output<typeof actorSchema>;

/** Holders of this role may act in every stage regardless of the template's stage permissions. */
export const ADMIN_ROLE = 'admin';

export const systemActor: Actor = { id: 'system', name: 'System', roles: [ADMIN_ROLE], kind: 'system' };
