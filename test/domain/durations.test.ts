import fc from 'fast-check';
import { addBusinessTime, addDuration, businessTimeBetween, calendarProblem, parseDuration, timeUntil } from '../../domain/durations';
import type { BusinessCalendar } from '../../domain/template';

const hour = 3_600_000;
const office: BusinessCalendar = { timeZone: 'UTC', workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'], workingHours: { start: '09:00', end: '17:00' }, holidays: [] };

describe('parseDuration', () => {
  test.each([
    ['30s', 30_000, false],
    ['4h', 4 * hour, false],
    ['2d', 48 * hour, false],
    ['1 week', 168 * hour, false],
    ['15 minutes', 15 * 60_000, false],
    ['4 business hours', 4 * hour, true],
    ['1 business day', 8 * hour, true],
    ['3 business days', 24 * hour, true],
  ])('%s', (text, ms, business) => {
    expect(parseDuration(text, office)).toEqual({ ms, business });
  });

  test.each(['soon', '3 fortnights', '-1h', '1.5h', '', 'business days', '2 business weeks', '999999 weeks', '4000 days'])('"%s" is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  test('a business day is one working day of the calendar', () => {
    expect(parseDuration('1 business day', { ...office, workingHours: { start: '08:00', end: '18:00' } })?.ms).toBe(10 * hour);
  });
});

describe('business time on a calendar', () => {
  // 2026-11-20 is a Friday.
  test('Friday afternoon plus 4 business hours ends on Monday morning', () => {
    expect(addBusinessTime('2026-11-20T15:00:00.000Z', 4 * hour, office)).toBe('2026-11-23T11:00:00.000Z');
  });

  test('time outside working hours starts counting at the next opening', () => {
    expect(addBusinessTime('2026-11-21T10:00:00.000Z', 1 * hour, office)).toBe('2026-11-23T10:00:00.000Z'); // Saturday
    expect(addBusinessTime('2026-11-23T06:00:00.000Z', 1 * hour, office)).toBe('2026-11-23T10:00:00.000Z'); // before opening
    expect(addBusinessTime('2026-11-23T18:00:00.000Z', 1 * hour, office)).toBe('2026-11-24T10:00:00.000Z'); // after closing
  });

  test('3 business days from Monday 10:00 is Thursday 10:00', () => {
    expect(addDuration('2026-11-23T10:00:00.000Z', '3 business days', office)).toBe('2026-11-26T10:00:00.000Z');
  });

  test('holidays are skipped', () => {
    const withHoliday = { ...office, holidays: ['2026-12-25'] };
    // Thursday 24 Dec 16:00 + 2h: one hour on Thursday, Friday is a holiday, the rest on Monday.
    expect(addBusinessTime('2026-12-24T16:00:00.000Z', 2 * hour, withHoliday)).toBe('2026-12-28T10:00:00.000Z');
    expect(businessTimeBetween('2026-12-24T16:00:00.000Z', '2026-12-28T10:00:00.000Z', withHoliday)).toBe(2 * hour);
  });

  test('working hours are local to the time zone', () => {
    const newYork = { ...office, timeZone: 'America/New_York' };
    // 09:00 in New York in November (EST) is 14:00 UTC.
    expect(addBusinessTime('2026-11-23T12:00:00.000Z', 1 * hour, newYork)).toBe('2026-11-23T15:00:00.000Z');
    const tokyo = { ...office, timeZone: 'Asia/Tokyo' };
    // Friday 16:30 in Tokyo (07:30 UTC) + 1h: 30 min on Friday, 30 min on Monday from 09:00 JST (00:00 UTC).
    expect(addBusinessTime('2026-11-20T07:30:00.000Z', 1 * hour, tokyo)).toBe('2026-11-23T00:30:00.000Z');
  });

  test('a daylight-saving change keeps local working hours', () => {
    const berlin = { ...office, timeZone: 'Europe/Berlin' };
    // Friday 27 March 2026 16:00 CET (15:00 UTC) + 2h: 1h Friday, 1h Monday 30 March from 09:00 CEST (07:00 UTC).
    expect(addBusinessTime('2026-03-27T15:00:00.000Z', 2 * hour, berlin)).toBe('2026-03-30T08:00:00.000Z');
  });

  test('a daylight-saving change on a working day keeps the clock times of working hours', () => {
    // Sunday 29 March 2026 is the change to CEST in Berlin; here Sunday is a working day.
    const berlin = { ...office, timeZone: 'Europe/Berlin', workingDays: ['sun' as const] };
    // 09:00 CEST is 07:00 UTC: one minute of work ends at 09:01 local.
    expect(addBusinessTime('2026-03-29T05:00:00.000Z', 60_000, berlin)).toBe('2026-03-29T07:01:00.000Z');
  });

  test('working days can include the weekend', () => {
    const shop = { ...office, workingDays: ['sat' as const, 'sun' as const] };
    expect(addBusinessTime('2026-11-20T10:00:00.000Z', 1 * hour, shop)).toBe('2026-11-21T10:00:00.000Z');
  });

  test('adding then measuring gives back the same working time (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') }),
        fc.integer({ min: 0, max: 200 * hour }),
        (start, ms) => {
          const from = new Date(start).toISOString();
          const to = addBusinessTime(from, ms, office);
          expect(Date.parse(to)).toBeGreaterThanOrEqual(start);
          expect(businessTimeBetween(from, to, office)).toBe(ms);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('wall-clock time until a target ignores the calendar', () => {
    expect(timeUntil('2026-11-21T10:00:00.000Z', '2026-11-21T12:00:00.000Z', false)).toBe(2 * hour);
    expect(timeUntil('2026-11-21T10:00:00.000Z', '2026-11-23T12:00:00.000Z', true, office)).toBe(3 * hour);
  });

  test('calendar problems', () => {
    expect(calendarProblem(office)).toBeUndefined();
    expect(calendarProblem({ ...office, timeZone: 'Mars/Olympus' })).toMatch(/time zone/);
    expect(calendarProblem({ ...office, workingHours: { start: '17:00', end: '09:00' } })).toMatch(/after/);
  });
});
