import { z } from 'zod';

/**
 * A template's business calendar: its own module so the duration arithmetic (domain/durations.ts)
 * can name the calendar's type without importing the template schema, which imports it back.
 */

const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time like "09:00"');

/** When business durations count: working days and hours in a time zone, minus holidays. */
export const calendarSchema = z
  .object({
    timeZone: z.string().min(1).max(100).default('UTC'),
    workingDays: z.array(z.enum(weekdays)).min(1).max(7).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    workingHours: z.object({ start: clockTime, end: clockTime }).strict().default({ start: '09:00', end: '17:00' }),
    holidays: z.array(z.iso.date()).max(1000).default([]),
  })
  .strict();

export type BusinessCalendar = z.output<typeof calendarSchema>;
export type Weekday = BusinessCalendar['workingDays'][number];
