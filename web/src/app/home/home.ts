import { Component, OnInit, inject } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { Api, Quote } from '../api/client';
import { direction, percent, price } from '../shared/format';
import { Loader } from '../shared/loader';
import { POPULAR } from '../shared/popular';
import { StateView } from '../shared/state-view';
import { SymbolSearch } from '../shared/symbol-search';

/** The front page: search, and the latest quotes of popular stocks. */
@Component({
  selector: 'app-home',
  imports: [SymbolSearch, StateView, RouterLink],
  template: `
    <section class="hero">
      <div class="page">
        <h1>U.S. stocks and option chains, with their history</h1>
        <p class="lede">Search 120+ stocks by symbol, name or alias; chart their bars; read option chains with implied volatility and Greeks.</p>
        <app-symbol-search class="search" label="Search stocks, e.g. “micro soft” or AAPL" (picked)="open($event)" />
      </div>
    </section>
    <section class="page" aria-labelledby="popular">
      <h2 id="popular">Popular stocks</h2>
      <app-state [loader]="quotes" what="quotes" empty="No quotes yet: the pipeline is still collecting.">
        <ul class="cards">
          @for (q of quotes.value() ?? []; track q.symbol) {
            <li class="panel card">
              <a class="title" [routerLink]="['/HistoricalData']" [queryParams]="{ symbol: q.symbol }">
                <span class="sym">{{ q.symbol }}</span> <span class="muted name">{{ q.name }}</span>
              </a>
              <div class="row">
                <span class="num px">{{ price(q.price) }}</span>
                <span class="num" [class]="direction(q.change_percent)">{{ percent(q.change_percent) }}</span>
              </div>
              <div class="links"><a [routerLink]="['/OptionsData']" [queryParams]="{ symbol: q.symbol }">Options</a></div>
            </li>
          }
        </ul>
      </app-state>
    </section>
  `,
  styles: `
    .hero { background: var(--mat-sys-primary-container); color: var(--mat-sys-on-primary-container); }
    .hero .page { padding-top: 32px; padding-bottom: 24px; }
    .lede { font: var(--mat-sys-body-large); max-width: 48rem; }
    .search { max-width: 40rem; }
    .cards { list-style: none; padding: 0; margin: 0; display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
    .card { display: flex; flex-direction: column; gap: 8px; }
    .title { text-decoration: none; color: inherit; }
    .title:hover .sym { text-decoration: underline; }
    .sym { font: var(--mat-sys-title-medium); }
    .name { font: var(--mat-sys-body-small); }
    .row { display: flex; justify-content: space-between; align-items: baseline; }
    .px { font: var(--mat-sys-headline-small); }
    .links { font: var(--mat-sys-body-small); }
  `,
})
export class Home implements OnInit {
  private readonly api = inject(Api);
  private readonly router = inject(Router);
  protected readonly quotes = new Loader<Quote[]>();
  protected readonly price = price;
  protected readonly percent = percent;
  protected readonly direction = direction;

  ngOnInit(): void {
    // A stock without data yet is left out rather than failing the rest.
    void this.quotes.run(async () => {
      const got = await Promise.allSettled(POPULAR.map((s) => this.api.quote(s)));
      const ok = got.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = got.find((r) => r.status === 'rejected');
      if (!ok.length && failed) throw failed.reason;
      return ok;
    });
  }

  protected open(symbol: string): void {
    void this.router.navigate(['/HistoricalData'], { queryParams: { symbol } });
  }
}
