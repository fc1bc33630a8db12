/** Relative timestamps: "now", "42s", "5m", "3h", "6d", then a date. */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function relativeTime(ms: number, now: number): string {
  const s = Math.floor((now - ms) / 1000);
  // Clocks disagree a little; a post "from the future" is simply new.
  if (s < 5) return 'now';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 7) return `${d}d`;
  const date = new Date(ms);
  const then = `${MONTHS[date.getMonth()]} ${date.getDate()}`;
  return date.getFullYear() === new Date(now).getFullYear() ? then : `${then}, ${date.getFullYear()}`;
}

let long: Intl.DateTimeFormat | null = null;

/**
 * The long form for a tooltip and screen readers. One formatter for all: toLocaleString with
 * options builds a new one per call, which was 1.9 s of a throttled phone's first timeline.
 */
export function absoluteTime(ms: number): string {
  long ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return long.format(ms);
}
