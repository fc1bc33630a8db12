/** A screen loaded on first use (its own chunk), kept once loaded so revisits render at once. */
import type { Component } from 'svelte';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyComponent = Component<any>;

export class Lazy {
  component: AnyComponent | null = $state(null);
  failed = $state(false);
  private loading: Promise<void> | null = null;

  constructor(private readonly loader: () => Promise<{ default: AnyComponent }>) {}

  load(): Promise<void> {
    this.loading ??= this.loader().then(
      (m) => {
        this.component = m.default;
      },
      () => {
        // A deploy replaced the chunk, or the network dropped: let the next render try again.
        this.failed = true;
        this.loading = null;
      },
    );
    return this.loading;
  }
}
