import { Component, DestroyRef, inject, input, output, signal, viewChild } from '@angular/core';
import { MatAutocompleteModule, MatAutocompleteTrigger } from '@angular/material/autocomplete';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { Subject, debounceTime, distinctUntilChanged, switchMap } from 'rxjs';
import { Api, Match } from '../api/client';

/**
 * Search over symbols, company names and aliases with autocomplete. Picking
 * a suggestion, or pressing Enter on a query, emits the symbol of the best
 * match.
 */
@Component({
  selector: 'app-symbol-search',
  imports: [MatAutocompleteModule, MatFormFieldModule, MatInputModule],
  template: `
    <mat-form-field [appearance]="appearance()" subscriptSizing="dynamic" class="field">
      <mat-label>{{ label() }}</mat-label>
      <input matInput type="search" [value]="text()" [matAutocomplete]="auto" autocomplete="off" spellcheck="false"
             (input)="typed($any($event.target).value)" (keydown.enter)="enter()" [attr.aria-label]="label()" />
      <mat-autocomplete #auto="matAutocomplete" (optionSelected)="pick($event.option.value)" [autoActiveFirstOption]="false">
        @for (m of matches(); track m.symbol) {
          <mat-option [value]="m.symbol">
            <span class="sym">{{ m.symbol }}</span> <span class="name">{{ m.name }}</span>
          </mat-option>
        }
        @if (problem()) {
          <mat-option disabled>{{ problem() }}</mat-option>
        }
      </mat-autocomplete>
      @if (hint()) { <mat-hint>{{ hint() }}</mat-hint> }
    </mat-form-field>
  `,
  styles: `
    :host { display: block; }
    .field { width: 100%; }
    .sym { font-weight: 500; display: inline-block; min-width: 4.5em; }
    .name { color: var(--mat-sys-on-surface-variant); }
  `,
})
export class SymbolSearch {
  private readonly api = inject(Api);
  readonly label = input('Search stocks by symbol or name');
  readonly hint = input('');
  readonly appearance = input<'fill' | 'outline'>('outline');
  readonly picked = output<string>();

  protected readonly text = signal('');
  protected readonly matches = signal<Match[]>([]);
  protected readonly problem = signal('');
  private readonly trigger = viewChild.required(MatAutocompleteTrigger);
  private readonly queries = new Subject<string>();
  private lastQuery = '';

  constructor() {
    const sub = this.queries
      .pipe(
        debounceTime(120),
        distinctUntilChanged(),
        switchMap((q) => this.lookup(q)),
      )
      .subscribe();
    inject(DestroyRef).onDestroy(() => sub.unsubscribe());
  }

  protected typed(q: string): void {
    this.text.set(q);
    this.queries.next(q.trim());
  }

  /** Enter without a highlighted suggestion opens the best match. */
  protected async enter(): Promise<void> {
    if (this.trigger().activeOption) return;
    const q = this.text().trim();
    if (!q) return;
    if (q !== this.lastQuery) await this.lookup(q);
    const best = this.matches()[0];
    if (best) this.pick(best.symbol);
  }

  protected pick(symbol: string): void {
    this.text.set(symbol);
    this.trigger().closePanel();
    this.picked.emit(symbol);
  }

  private async lookup(q: string): Promise<void> {
    this.lastQuery = q;
    if (!q) {
      this.matches.set([]);
      this.problem.set('');
      return;
    }
    try {
      const found = await this.api.search(q);
      if (q !== this.lastQuery) return;
      this.matches.set(found);
      this.problem.set(found.length ? '' : `No stock matches “${q}”`);
    } catch (e) {
      if (q !== this.lastQuery) return;
      this.matches.set([]);
      this.problem.set(`Search is unavailable: ${e instanceof Error ? e.message : e}`);
    }
  }
}
