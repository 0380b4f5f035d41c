import { describe, expect, it } from 'vitest';
import { normaliseWhatsAppNumber, toVonageNumber } from '../../domain/phone-number.ts';

describe('normaliseWhatsAppNumber', () => {
  it.each([
    ['+14155550101', '+14155550101'],
    ['14155550101', '+14155550101'],
    ['+44 20 7946 0958', '+442079460958'],
    ['0044 20 7946 0958', '+442079460958'],
    [' +91 98765 43210 ', '+919876543210'],
  ])('accepts %j as %s', (input, expected) => {
    expect(normaliseWhatsAppNumber(input)).toBe(expected);
  });

  it.each(['', 'abc', '123', '+1415555', '+999 1234 5678', '+44 20 7946 09581234'])('rejects %j', (input) => {
    expect(normaliseWhatsAppNumber(input)).toBeUndefined();
  });

  it('gives Vonage digits without the plus', () => {
    expect(toVonageNumber('+14155550101')).toBe('14155550101');
  });
});
