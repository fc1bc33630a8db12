/**
 * Keyboard shortcuts, as on other timelines: j / k move between posts, o or Enter opens the
 * focused one, n writes a new post, ? lists them. Never while typing, never with a modifier
 * (browser and screen reader shortcuts), never under an open dialog.
 */
import { router } from './router.svelte';

export const SHORTCUTS: [string, string][] = [
  ['j', 'Next post'],
  ['k', 'Previous post'],
  ['o or Enter', 'Open the selected post'],
  ['n', 'Write a new post'],
  ['?', 'Show these shortcuts'],
];

function typing(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || (el as HTMLElement).isContentEditable;
}

function posts(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('#main [data-testid="post"]')];
}

function move(step: 1 | -1): void {
  const all = posts();
  if (!all.length) return;
  const at = all.findIndex((p) => p.contains(document.activeElement));
  const next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step));
  const el = all[next];
  el.focus({ preventScroll: true });
  el.scrollIntoView({ block: 'nearest' });
}

async function compose(): Promise<void> {
  if (router.route.name !== 'home') router.navigate('/');
  for (let i = 0; i < 120; i++) {
    const box = document.getElementById('compose');
    if (box) {
      box.focus();
      return;
    }
    await new Promise((r) => requestAnimationFrame(r));
  }
}

export function installShortcuts(opts: { help: () => void }): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(document.activeElement) || document.querySelector('dialog[open]')) return;
    const focusedPost = (document.activeElement as HTMLElement | null)?.closest?.('[data-testid="post"]');
    switch (e.key) {
      case 'j':
        move(1);
        break;
      case 'k':
        move(-1);
        break;
      case 'n':
        void compose();
        break;
      case '?':
        opts.help();
        break;
      case 'o':
      case 'Enter':
        // Enter on a link or button inside the post is that control's, not ours.
        if (!focusedPost || document.activeElement !== focusedPost) return;
        router.navigate(`/post/${(focusedPost as HTMLElement).dataset.postId}`);
        break;
      default:
        return;
    }
    e.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
