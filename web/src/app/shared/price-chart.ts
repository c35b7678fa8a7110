import { Component, ElementRef, OnDestroy, afterNextRender, computed, effect, input, viewChild } from '@angular/core';
import {
  CandlestickSeries,
  ColorType,
  HistogramSeries,
  IChartApi,
  ISeriesApi,
  LineSeries,
  Time,
  UTCTimestamp,
  createChart,
} from 'lightweight-charts';
import type { Bar } from '../api/client';

const UP = '#0a7a33';
const DOWN = '#b3261e';

/**
 * Bars as candlesticks (or a line) with volume below, drawn by TradingView's
 * Lightweight Charts, whose logo links to its authors as its licence asks.
 * Intraday bars are shown in New York time, as the exchange keeps it.
 */
@Component({
  selector: 'app-price-chart',
  template: `
    <div #host class="chart" role="img" [attr.aria-label]="summary()"></div>
    <p class="credit muted">Chart by <a href="https://www.tradingview.com/" rel="noopener" target="_blank">TradingView Lightweight Charts™</a>@if (intraday()) { · times in New York }</p>
  `,
  host: { '[attr.data-points]': 'bars().length', '[attr.data-first]': 'first()', '[attr.data-last]': 'last()' },
  styles: `
    :host { display: block; }
    .chart { height: var(--chart-height, 380px); width: 100%; }
    .credit { font: var(--mat-sys-body-small); margin: 4px 0 0; }
  `,
})
export class PriceChart implements OnDestroy {
  readonly bars = input.required<readonly Bar[]>();
  readonly intraday = input(false);
  readonly kind = input<'candles' | 'line'>('candles');
  readonly label = input('Price');
  protected readonly first = computed(() => this.bars()[0]?.t ?? '');
  protected readonly last = computed(() => this.bars().at(-1)?.t ?? '');
  protected readonly summary = computed(
    () => `${this.label()}: ${this.bars().length} bars${this.bars().length ? ` from ${this.first()} to ${this.last()}` : ''}`,
  );
  private readonly host = viewChild.required<ElementRef<HTMLElement>>('host');
  private chart?: IChartApi;
  private price?: ISeriesApi<'Candlestick'> | ISeriesApi<'Line'>;
  private volume?: ISeriesApi<'Histogram'>;
  private resize?: ResizeObserver;

  constructor() {
    afterNextRender(() => this.create());
    effect(() => this.draw(this.bars(), this.intraday()));
  }

  private create(): void {
    const style = getComputedStyle(this.host().nativeElement);
    this.chart = createChart(this.host().nativeElement, {
      autoSize: true,
      layout: {
        attributionLogo: true,
        background: { type: ColorType.Solid, color: 'transparent' },
        textColor: style.color || '#1b1b1f',
        fontFamily: 'Roboto, system-ui, sans-serif',
      },
      grid: { vertLines: { color: 'rgba(120,120,140,0.12)' }, horzLines: { color: 'rgba(120,120,140,0.12)' } },
      timeScale: { timeVisible: this.intraday(), secondsVisible: false },
    });
    this.price =
      this.kind() === 'line'
        ? this.chart.addSeries(LineSeries, { color: '#0b57d0', lineWidth: 2 })
        : this.chart.addSeries(CandlestickSeries, {
            upColor: UP, downColor: DOWN, borderUpColor: UP, borderDownColor: DOWN, wickUpColor: UP, wickDownColor: DOWN,
          });
    this.volume = this.chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: '' });
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    this.price.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.25 } });
    this.draw(this.bars(), this.intraday());
    // The chart may be drawn while hidden (zero wide): fit the bars again
    // once it has a size.
    this.resize = new ResizeObserver(() => this.chart?.timeScale().fitContent());
    this.resize.observe(this.host().nativeElement);
  }

  private draw(bars: readonly Bar[], intraday: boolean): void {
    if (!this.chart || !this.price || !this.volume) return;
    this.chart.applyOptions({ timeScale: { timeVisible: intraday } });
    const time = (b: Bar): Time => (intraday ? (newYorkSeconds(b.t) as UTCTimestamp) : (b.t.slice(0, 10) as Time));
    if (this.kind() === 'line') {
      (this.price as ISeriesApi<'Line'>).setData(bars.map((b) => ({ time: time(b), value: b.close })));
    } else {
      (this.price as ISeriesApi<'Candlestick'>).setData(
        bars.map((b) => ({ time: time(b), open: b.open, high: b.high, low: b.low, close: b.close })),
      );
    }
    this.volume.setData(
      bars.map((b) => ({ time: time(b), value: b.volume, color: b.close >= b.open ? 'rgba(10,122,51,0.35)' : 'rgba(179,38,30,0.35)' })),
    );
    this.chart.timeScale().fitContent();
  }

  ngOnDestroy(): void {
    this.resize?.disconnect();
    this.chart?.remove();
  }
}

const nyParts = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York', hourCycle: 'h23',
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/**
 * The chart library has no time zones: it draws a timestamp as UTC. Giving
 * it New York's wall-clock time as if it were UTC shows exchange time.
 */
export function newYorkSeconds(rfc3339: string): number {
  const d = new Date(rfc3339);
  const p = Object.fromEntries(nyParts.formatToParts(d).map((x) => [x.type, x.value]));
  return Date.UTC(+p['year'], +p['month'] - 1, +p['day'], +p['hour'], +p['minute'], +p['second']) / 1000;
}
