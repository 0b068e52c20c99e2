import type { DateTime } from 'luxon';
import type { BusinessCalendar, Weekday } from './schemas/calendar';

/** A parsed duration: wall-clock time, or working time on the template's business calendar. */
export interface Duration {
  ms: number;
  business: boolean;
}

/**
 * luxon, loaded on first use: it costs ~70 KB in every case workflow's context that loads it, and
 * only business calendars need it. Not kept in this module: the worker shares this module among
 * workflows (worker/preloaded-modules.ts) while luxon, which mutates its own caches, stays each
 * workflow's own; `require` answers the calling workflow's copy from its module cache.
 */
function Luxon(): typeof DateTime {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
  return (require('luxon') as typeof import('luxon')).DateTime;
}

const WALL_UNITS: Record<string, number> = {
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

const WALL = /^\s*(\d{1,6})\s*([a-z]+)\s*$/i;
const BUSINESS = /^\s*(\d{1,6})\s+business\s+(hours?|days?)\s*$/i;

export const DEFAULT_CALENDAR: BusinessCalendar = {
  timeZone: 'UTC',
  workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  workingHours: { start: '09:00', end: '17:00' },
  holidays: [],
};

/**
 * `30s`, `4h`, `2d`, `1 week` are wall-clock; `3 business days` and `4 business hours` count
 * only working time. A business day is one working day's worth of working hours.
 */
export function parseDuration(text: string, calendar: BusinessCalendar = DEFAULT_CALENDAR): Duration | undefined {
  const duration = parseUncapped(text, calendar);
  return duration && duration.ms <= MAX_DURATION_MS ? duration : undefined;
}

/** Ten years: longer targets are typos, and far-future instants stop sorting as strings. */
export const MAX_DURATION_MS = 10 * 366 * 86_400_000;

function parseUncapped(text: string, calendar: BusinessCalendar): Duration | undefined {
  const business = BUSINESS.exec(text);
  if (business) {
    const amount = Number(business[1]);
    const unit = business[2]!.toLowerCase().startsWith('hour') ? 3_600_000 : workingDayMs(calendar);
    return { ms: amount * unit, business: true };
  }
  const wall = WALL.exec(text);
  const unit = wall ? WALL_UNITS[wall[2]!.toLowerCase()] : undefined;
  return wall && unit ? { ms: Number(wall[1]) * unit, business: false } : undefined;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function workingDayMs(calendar: BusinessCalendar): number {
  return (minutesOf(calendar.workingHours.end) - minutesOf(calendar.workingHours.start)) * 60_000;
}

/** Why a calendar cannot be used (bad zone, empty day), or undefined. */
export function calendarProblem(calendar: BusinessCalendar): string | undefined {
  if (!Luxon().fromMillis(0, { zone: calendar.timeZone }).isValid) return `unknown time zone "${calendar.timeZone}"`;
  if (workingDayMs(calendar) <= 0) return 'workingHours.end must be after workingHours.start';
  return undefined;
}

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** Far enough to cross any holiday list; a calendar with no working day left ends the search. */
const MAX_DAYS = 366 * 20;

function workingInterval(day: DateTime, calendar: BusinessCalendar): { start: DateTime; end: DateTime } | undefined {
  if (!calendar.workingDays.includes(WEEKDAYS[day.weekday - 1]!)) return undefined;
  if (calendar.holidays.includes(day.toISODate() ?? '')) return undefined;
  // Clock times of that day (not elapsed minutes since midnight, which differ on a DST change).
  const at = (hhmm: string) => {
    const minutes = minutesOf(hhmm);
    return minutes === 24 * 60 ? day.plus({ days: 1 }) : day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
  };
  return { start: at(calendar.workingHours.start), end: at(calendar.workingHours.end) };
}

const toIso = (t: DateTime) => t.toUTC().toISO() ?? '';

/** The instant `ms` of working time after `fromIso`. */
export function addBusinessTime(fromIso: string, ms: number, calendar: BusinessCalendar): string {
  let t = Luxon().fromISO(fromIso, { zone: calendar.timeZone });
  let remaining = ms;
  for (let i = 0; i < MAX_DAYS; i++) {
    const day = t.startOf('day');
    const interval = workingInterval(day, calendar);
    if (interval && t < interval.end) {
      const from = t < interval.start ? interval.start : t;
      const available = interval.end.toMillis() - from.toMillis();
      if (remaining <= available) return toIso(from.plus({ milliseconds: remaining }));
      remaining -= available;
    }
    t = day.plus({ days: 1 });
  }
  return toIso(t);
}

/** Working time between two instants (0 when `toIso` is not after `fromIso`). */
export function businessTimeBetween(fromIso: string, toIso_: string, calendar: BusinessCalendar): number {
  const end = Luxon().fromISO(toIso_, { zone: calendar.timeZone });
  let t = Luxon().fromISO(fromIso, { zone: calendar.timeZone });
  let total = 0;
  for (let i = 0; i < MAX_DAYS && t < end; i++) {
    const day = t.startOf('day');
    const interval = workingInterval(day, calendar);
    if (interval) {
      const from = t < interval.start ? interval.start : t;
      const to = end < interval.end ? end : interval.end;
      if (to > from) total += to.toMillis() - from.toMillis();
    }
    t = day.plus({ days: 1 });
  }
  return total;
}

/**
 * The working intervals (epoch ms, ascending) of every calendar day that meets [fromMs, toMs]: the
 * same days and clock times `businessTimeBetween` counts, listed once so that many spans can be
 * measured against them (reports measure thousands of stage visits).
 */
export function workingIntervalsBetween(fromMs: number, toMs: number, calendar: BusinessCalendar): Array<{ start: number; end: number }> {
  const intervals: Array<{ start: number; end: number }> = [];
  let day = Luxon().fromMillis(fromMs, { zone: calendar.timeZone }).startOf('day');
  for (let i = 0; i < MAX_DAYS && day.toMillis() <= toMs; i++) {
    const interval = workingInterval(day, calendar);
    if (interval && interval.end > interval.start) intervals.push({ start: interval.start.toMillis(), end: interval.end.toMillis() });
    day = day.plus({ days: 1 });
  }
  return intervals;
}

/** `fromIso` plus a duration written in a template (`2d`, `3 business days`). */
export function addDuration(fromIso: string, text: string, calendar: BusinessCalendar = DEFAULT_CALENDAR): string {
  const duration = parseDuration(text, calendar);
  if (!duration) throw new Error(`unparsable duration "${text}"`);
  return addTime(fromIso, duration.ms, duration.business, calendar);
}

export function addTime(fromIso: string, ms: number, business: boolean, calendar: BusinessCalendar = DEFAULT_CALENDAR): string {
  return business ? addBusinessTime(fromIso, ms, calendar) : new Date(Date.parse(fromIso) + ms).toISOString();
}

/** Time left from `fromIso` to `targetIso`, counted the way the target's duration counts. */
export function timeUntil(fromIso: string, targetIso: string, business: boolean, calendar: BusinessCalendar = DEFAULT_CALENDAR): number {
  return business ? businessTimeBetween(fromIso, targetIso, calendar) : Math.max(0, Date.parse(targetIso) - Date.parse(fromIso));
}
