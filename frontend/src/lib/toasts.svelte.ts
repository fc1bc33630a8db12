/** Short messages in a live region, so nothing fails silently and screen readers hear it too. */
export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

class Toasts {
  items: Toast[] = $state([]);
  private next = 1;

  show(text: string, kind: Toast['kind'] = 'info', ms = 6000): void {
    const id = this.next++;
    // The same message twice in a row (a failing poll) shows once.
    if (this.items.some((t) => t.text === text)) return;
    this.items = [...this.items, { id, kind, text }];
    setTimeout(() => this.dismiss(id), ms);
  }

  error(text: string): void {
    this.show(text, 'error', 9000);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
