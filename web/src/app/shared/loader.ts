import { Signal, computed, signal } from '@angular/core';

export type Status = 'idle' | 'loading' | 'ready' | 'empty' | 'error';

/** What a view needs to show a Loader's state, whatever it holds. */
export interface LoaderState {
  readonly status: Signal<Status>;
  readonly value: Signal<unknown>;
  readonly error: Signal<string>;
  retry(): Promise<void>;
}

/**
 * One piece of remote data with its loading, empty and error states. Only
 * the newest request may land: an answer to an older one (the user changed
 * the date range meanwhile) is dropped. The last value stays while a new one
 * loads, so charts do not flash empty.
 */
export class Loader<T> implements LoaderState {
  readonly status = signal<Status>('idle');
  readonly value = signal<T | undefined>(undefined);
  readonly error = signal('');
  readonly busy = computed(() => this.status() === 'loading');
  private seq = 0;
  private last?: () => Promise<T>;

  constructor(private readonly isEmpty: (v: T) => boolean = emptyValue) {}

  async run(load: () => Promise<T>): Promise<void> {
    const id = ++this.seq;
    this.last = load;
    this.status.set('loading');
    this.error.set('');
    try {
      const v = await load();
      if (id !== this.seq) return;
      this.value.set(v);
      this.status.set(this.isEmpty(v) ? 'empty' : 'ready');
    } catch (e) {
      if (id !== this.seq) return;
      this.error.set(e instanceof Error ? e.message : String(e));
      this.status.set('error');
    }
  }

  /** Runs the last request again (the Retry button). */
  retry(): Promise<void> {
    return this.last ? this.run(this.last) : Promise.resolve();
  }
}

function emptyValue(v: unknown): boolean {
  return v == null || (Array.isArray(v) && v.length === 0);
}
