import { Component, input } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { LoaderState } from './loader';

/**
 * Shows a Loader's state around its content: a progress bar while loading,
 * a message when empty, the error with a Retry button when it failed. The
 * content stays in place once a value has arrived (charts keep their canvas).
 */
@Component({
  selector: 'app-state',
  imports: [MatProgressBarModule, MatButtonModule],
  template: `
    @let s = loader().status();
    <div class="bar" aria-hidden="true">
      @if (s === 'loading') { <mat-progress-bar mode="indeterminate" /> }
    </div>
    <div aria-live="polite" class="msg">
      @if (s === 'loading' && loader().value() === undefined) {
        <p class="muted">Loading {{ what() }}…</p>
      } @else if (s === 'empty') {
        <p class="muted">{{ empty() }}</p>
      }
    </div>
    @if (s === 'error') {
      <div class="error" role="alert">
        <span>Could not load {{ what() }}: {{ loader().error() }}</span>
        <button mat-stroked-button type="button" (click)="loader().retry()">Retry</button>
      </div>
    }
    <div [hidden]="s === 'error' || s === 'empty' || loader().value() === undefined"><ng-content /></div>
  `,
  styles: `
    :host { display: block; }
    .bar { height: 4px; }
    .msg p { margin: 12px 0; }
    .error {
      display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin: 12px 0; padding: 12px;
      border-radius: 8px; background: var(--mat-sys-error-container); color: var(--mat-sys-on-error-container);
    }
  `,
})
export class StateView {
  readonly loader = input.required<LoaderState>();
  readonly what = input('data');
  readonly empty = input('Nothing to show.');
}
