/** One shared "now" for every relative timestamp, ticking every 15 s. */
class Clock {
  now: number = $state(Date.now());

  constructor() {
    if (typeof window !== 'undefined') setInterval(() => (this.now = Date.now()), 15_000);
  }
}

export const clock = new Clock();
