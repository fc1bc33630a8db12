/** Light, dark, or the system's setting; the choice is kept in localStorage. */
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'kwetter-theme';

function saved(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

class Theme {
  choice: ThemeChoice = $state(saved());
  private media = typeof matchMedia === 'undefined' ? null : matchMedia('(prefers-color-scheme: dark)');
  systemDark = $state(this.media?.matches ?? false);
  readonly dark = $derived(this.choice === 'dark' || (this.choice === 'system' && this.systemDark));

  /** Call once: follows the system setting live while the choice is "system". */
  install(): () => void {
    const onChange = (e: MediaQueryListEvent) => (this.systemDark = e.matches);
    this.media?.addEventListener('change', onChange);
    const stop = $effect.root(() => {
      $effect(() => {
        document.documentElement.classList.toggle('dark', this.dark);
      });
    });
    return () => {
      this.media?.removeEventListener('change', onChange);
      stop();
    };
  }

  /** System → dark → light → system: one button, every state reachable. */
  cycle(): void {
    this.set(this.choice === 'system' ? 'dark' : this.choice === 'dark' ? 'light' : 'system');
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      if (choice === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // Private mode without storage: the choice lasts for this visit.
    }
  }
}

export const theme = new Theme();
