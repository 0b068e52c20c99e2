import { actorShape, type Actor } from '../actor';
import { zodOf } from './from-shape';
import type { z } from 'zod';

/** The actor as the API documents it (tokens, events); built from the same shape the workflow checks. */
export const actorSchema = zodOf(actorShape) as z.ZodType<Actor>;
