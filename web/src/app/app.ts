import { Component } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

/** The shell: a skip link, the navigation bar and the routed page. */
@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  template: `
    <a class="skip" href="#main">Skip to content</a>
    <header class="bar">
      <a class="brand" routerLink="/">tickerlake</a>
      <nav aria-label="Main">
        @for (l of links; track l.path) {
          <a [routerLink]="l.path" routerLinkActive="active" ariaCurrentWhenActive="page"
             [routerLinkActiveOptions]="{ exact: l.path === '/' }">{{ l.label }}</a>
        }
      </nav>
    </header>
    <main id="main" tabindex="-1"><router-outlet /></main>
    <footer class="foot muted">
      Synthetic market on embedded defaults, or live data when configured ·
      <a href="/openapi.json">API</a> · <a href="/docs">API docs</a>
    </footer>
  `,
  styles: `
    :host { display: flex; flex-direction: column; min-height: 100vh; }
    .skip { position: absolute; left: -999px; top: 8px; z-index: 10; background: var(--mat-sys-surface); padding: 8px; }
    .skip:focus { left: 8px; }
    .bar {
      display: flex; align-items: center; gap: 16px; padding: 0 16px; min-height: 56px;
      background: var(--mat-sys-primary); color: var(--mat-sys-on-primary); flex-wrap: wrap;
    }
    .brand { color: inherit; font: var(--mat-sys-title-large); text-decoration: none; font-weight: 500; }
    nav { display: flex; gap: 4px; overflow-x: auto; }
    nav a {
      color: inherit; text-decoration: none; padding: 8px 12px; border-radius: 20px; white-space: nowrap;
      font: var(--mat-sys-label-large);
    }
    nav a:hover { background: rgb(255 255 255 / 12%); }
    nav a.active { background: rgb(255 255 255 / 22%); }
    .bar a:focus-visible { outline-color: var(--mat-sys-on-primary); }
    main { flex: 1; outline: none; }
    .foot { padding: 16px; text-align: center; font: var(--mat-sys-body-small); }
  `,
})
export class App {
  protected readonly links = [
    { path: '/', label: 'Home' },
    { path: '/dashboard', label: 'Dashboard' },
    { path: '/HistoricalData', label: 'Historical data' },
    { path: '/OptionsData', label: 'Options' },
    { path: '/models', label: 'Models' },
  ];
}
