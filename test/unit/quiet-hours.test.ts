// Quiet hours in the recipient's time zone: inside them a message waits until
// they end; the window may wrap midnight; a contact's own zone wins.
import { describe, expect, it } from 'vitest';
import { quietHoursSchema, quietUntil } from '../../domain/campaign.ts';

const night = { start: '21:00', end: '08:00', timeZone: 'Europe/London' };
const lunch = { start: '12:00', end: '14:00', timeZone: 'UTC' };

describe('quietUntil', () => {
  it.each([
    ['22:30 in London (winter, UTC+0) is quiet until 08:00', '2026-11-25T22:30:00Z', night, null, '2026-11-26T08:00:00.000Z'],
    ['07:59 is still quiet', '2026-11-25T07:59:00Z', night, null, '2026-11-25T08:00:00.000Z'],
    ['08:00 sharp is open', '2026-11-25T08:00:00Z', night, null, null],
    ['20:59 is open', '2026-11-25T20:59:30Z', night, null, null],
    ['London summer time: 07:30 UTC is 08:30 local, open', '2026-07-01T07:30:00Z', night, null, null],
    ['London summer time: 06:30 UTC is 07:30 local, quiet for 30 min', '2026-07-01T06:30:00Z', night, null, '2026-07-01T07:00:00.000Z'],
    ['the contact\'s own zone wins: 22:30 UTC is 07:30 in Tokyo, quiet', '2026-11-25T22:30:00Z', night, 'Asia/Tokyo', '2026-11-25T23:00:00.000Z'],
    ['a window within the day', '2026-11-25T12:15:40Z', lunch, null, '2026-11-25T14:00:00.000Z'],
    ['outside a window within the day', '2026-11-25T15:00:00Z', lunch, null, null],
  ])('%s', (_name, at, quiet, zone, expected) => {
    expect(quietUntil(new Date(at), quiet, zone)?.toISOString() ?? null).toBe(expected);
  });

  it('refuses malformed hours, equal ends and unknown zones, naming the field', () => {
    const result = quietHoursSchema.safeParse({ start: '25:00', end: '08:00', timeZone: 'Mars/Olympus' });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['start', 'timeZone']);
    expect(quietHoursSchema.safeParse({ start: '08:00', end: '08:00', timeZone: 'UTC' }).error!.issues[0]!.path).toEqual(['end']);
  });
});
