import { Component, computed, effect, inject, input, untracked, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatPaginator, MatPaginatorModule } from '@angular/material/paginator';
import { MatTableDataSource, MatTableModule } from '@angular/material/table';
import { Router } from '@angular/router';
import { Api, Bar, Interval, Quote } from '../api/client';
import { Column, saveFile, toCsv } from '../shared/csv';
import { before, compact, direction, isoDate, percent, price } from '../shared/format';
import { Loader } from '../shared/loader';
import { PriceChart } from '../shared/price-chart';
import { StateView } from '../shared/state-view';
import { SymbolSearch } from '../shared/symbol-search';
import { ForecastPanel, horizonOf } from './forecast';

/** Range presets: months (and days) back from the end date. */
export const PRESETS = [
  { label: '5D', months: 0, days: 5 },
  { label: '1M', months: 1, days: 0 },
  { label: '3M', months: 3, days: 0 },
  { label: '6M', months: 6, days: 0 },
  { label: '1Y', months: 12, days: 0 },
] as const;

/** Whether the adjusted query parameter asks for split- and dividend-adjusted bars. */
export function adjustedOf(param: string | undefined): boolean {
  return param === 'true' || param === '1';
}

/** The CSV layout of the original StockData table. */
export function csvColumns(symbol: string): Column<Bar>[] {
  return [
    { header: 'StockName', value: () => symbol },
    { header: 'Date', value: (b) => b.t },
    { header: 'Open', value: (b) => b.open },
    { header: 'High', value: (b) => b.high },
    { header: 'Low', value: (b) => b.low },
    { header: 'Close', value: (b) => b.close },
    { header: 'Volume', value: (b) => b.volume },
  ];
}

/** /HistoricalData: candlesticks with volume over a date range, the forecast, the bars as a table, CSV and Parquet export. */
@Component({
  selector: 'app-historical',
  imports: [
    SymbolSearch, StateView, PriceChart, ForecastPanel, MatButtonModule, MatButtonToggleModule, MatFormFieldModule, MatInputModule,
    MatPaginatorModule, MatTableModule,
  ],
  templateUrl: './historical.html',
  styleUrl: './historical.scss',
})
export class Historical {
  private readonly api = inject(Api);
  private readonly router = inject(Router);

  // Query parameters, so every view has a URL to share.
  readonly symbol = input<string>();
  readonly from = input<string>();
  readonly to = input<string>();
  readonly interval = input<string>();
  readonly horizon = input<string>();
  readonly adjusted = input<string>();

  protected readonly sym = computed(() => (this.symbol() || 'AAPL').toUpperCase());
  protected readonly hz = computed(() => horizonOf(this.horizon()));
  protected readonly iv = computed<Interval>(() => (this.interval() === '15min' ? '15min' : '1day'));
  protected readonly adj = computed(() => adjustedOf(this.adjusted()));
  protected readonly end = computed(() => validDate(this.to()) ?? isoDate(new Date()));
  protected readonly start = computed(
    () => validDate(this.from()) ?? (this.iv() === '15min' ? before(this.end(), 0, 5) : before(this.end(), 12)),
  );
  protected readonly presets = PRESETS;
  protected readonly preset = computed(
    () => PRESETS.find((p) => before(this.end(), p.months, p.days) === this.start())?.label ?? '',
  );

  protected readonly bars = new Loader<Bar[]>();
  protected readonly quote = new Loader<Quote>();
  protected readonly rows = new MatTableDataSource<Bar>([]);
  protected readonly columns = ['t', 'open', 'high', 'low', 'close', 'volume'];
  protected readonly chartBars = computed(() => this.bars.value() ?? []);
  protected readonly parquetUrl = computed(() => this.api.downloadUrl(this.sym(), this.iv(), this.start(), this.end(), 'parquet'));
  private readonly paginator = viewChild(MatPaginator);

  protected readonly price = price;
  protected readonly percent = percent;
  protected readonly compact = compact;
  protected readonly direction = direction;

  constructor() {
    effect(() => {
      const [s, i, f, t, a] = [this.sym(), this.iv(), this.start(), this.end(), this.adj()];
      untracked(() => this.load(s, i, f, t, a));
    });
    effect(() => {
      const s = this.sym();
      untracked(() => void this.quote.run(() => this.api.quote(s)));
    });
    effect(() => {
      // Newest first in the table; the chart reads oldest first.
      this.rows.data = [...this.chartBars()].reverse();
      const p = this.paginator();
      if (p) {
        this.rows.paginator = p;
        p.firstPage();
      }
    });
  }

  private load(symbol: string, interval: Interval, from: string, to: string, adjusted: boolean): void {
    void this.bars.run(() => this.api.bars(symbol, interval, from, to, undefined, undefined, adjusted));
  }

  protected go(change: { symbol?: string; from?: string; to?: string; interval?: string; horizon?: number; adjusted?: 'true' }): void {
    const q = {
      symbol: this.sym(), from: this.start(), to: this.end(), interval: this.iv(), horizon: this.hz(),
      adjusted: this.adj() ? ('true' as const) : undefined, ...change,
    };
    if (q.from > q.to) [q.from, q.to] = [q.to, q.from];
    void this.router.navigate([], { queryParams: q, replaceUrl: false });
  }

  protected choosePreset(label: string): void {
    const p = PRESETS.find((x) => x.label === label);
    if (p) this.go({ from: before(this.end(), p.months, p.days) });
  }

  protected chooseInterval(interval: string): void {
    // A year of 15-minute bars is 6,500 rows: switch to the last five days.
    this.go(interval === '15min' ? { interval, from: before(this.end(), 0, 5) } : { interval, from: before(this.end(), 12) });
  }

  /** Prices as traded, or adjusted for splits and dividends. */
  protected chooseAdjusted(value: string): void {
    this.go({ adjusted: value === 'adjusted' ? 'true' : undefined });
  }

  protected dateChanged(which: 'from' | 'to', value: string): void {
    if (validDate(value)) this.go({ [which]: value });
  }

  protected exportCsv(): void {
    const bars = this.bars.value() ?? [];
    saveFile(`${this.sym()}_${this.iv()}_${this.start()}_${this.end()}.csv`, 'text/csv', toCsv(bars, csvColumns(this.sym())));
  }
}

function validDate(v: string | undefined): string | undefined {
  return v && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? v : undefined;
}
