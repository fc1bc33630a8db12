import { describe, expect, it } from 'vitest';
import { relativeTime } from './time';

const NOW = new Date(2026, 10, 25, 12, 0, 0).getTime();
const ago = (s: number) => NOW - s * 1000;

describe('relativeTime', () => {
  it('says now for the last few seconds and for clock skew', () => {
    expect(relativeTime(NOW, NOW)).toBe('now');
    expect(relativeTime(ago(4), NOW)).toBe('now');
    expect(relativeTime(NOW + 30_000, NOW)).toBe('now');
  });
  it('uses seconds, minutes, hours and days', () => {
    expect(relativeTime(ago(42), NOW)).toBe('42s');
    expect(relativeTime(ago(60), NOW)).toBe('1m');
    expect(relativeTime(ago(59 * 60 + 59), NOW)).toBe('59m');
    expect(relativeTime(ago(3 * 3600), NOW)).toBe('3h');
    expect(relativeTime(ago(6 * 86400), NOW)).toBe('6d');
  });
  it('shows a date after a week, with the year only when it differs', () => {
    expect(relativeTime(new Date(2026, 2, 5, 9).getTime(), NOW)).toBe('Mar 5');
    expect(relativeTime(new Date(2024, 11, 31, 9).getTime(), NOW)).toBe('Dec 31, 2024');
  });
});
