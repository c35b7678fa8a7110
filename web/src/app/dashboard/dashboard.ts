import { Component, DestroyRef, OnInit, computed, inject, signal } from '@angular/core';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { RouterLink } from '@angular/router';
import type { EChartsCoreOption } from 'echarts/core';
import { Api, Bar, Freshness, Mover, Movers, Realtime } from '../api/client';
import { EChart } from '../shared/echart';
import { compact, direction, lag, percent, price } from '../shared/format';
import { Loader } from '../shared/loader';
import { POPULAR } from '../shared/popular';
import { PriceChart } from '../shared/price-chart';
import { StateView } from '../shared/state-view';
import { SymbolSearch } from '../shared/symbol-search';

/** How often the live parts of the dashboard ask again. */
export const REFRESH_MS = 15_000;

type Period = '1d' | '5d' | '1m';

/** /dashboard: movers, a market overview, each dataset's freshness and live 15-minute prices. */
@Component({
  selector: 'app-dashboard',
  imports: [StateView, EChart, PriceChart, SymbolSearch, RouterLink, MatButtonToggleModule],
  templateUrl: './dashboard.html',
  styleUrl: './dashboard.scss',
})
export class Dashboard implements OnInit {
  private readonly api = inject(Api);
  private readonly destroyRef = inject(DestroyRef);

  protected readonly period = signal<Period>('1d');
  protected readonly movers = new Loader<Movers>((m) => !m.gainers?.length && !m.most_active?.length);
  protected readonly fresh = new Loader<Freshness[]>();
  protected readonly live = new Loader<Realtime>((r) => !r.bars?.length);
  protected readonly liveSymbol = signal<string>(POPULAR[0]);
  protected readonly updated = signal('');
  protected readonly liveBars = computed<Bar[]>(() =>
    (this.live.value()?.bars ?? []).map((b) => ({ t: b.Date, open: b.Open, high: b.High, low: b.Low, close: b.Close, volume: b.Volume, imputed: false })),
  );
  protected readonly popular = POPULAR;

  protected readonly price = price;
  protected readonly percent = percent;
  protected readonly compact = compact;
  protected readonly direction = direction;
  protected readonly lag = lag;

  ngOnInit(): void {
    this.loadMovers(this.period());
    this.refresh();
    const timer = setInterval(() => this.refresh(true), REFRESH_MS);
    this.destroyRef.onDestroy(() => clearInterval(timer));
  }

  protected setPeriod(p: Period): void {
    this.period.set(p);
    this.loadMovers(p);
  }

  protected watch(symbol: string): void {
    this.liveSymbol.set(symbol);
    void this.live.run(() => this.api.realtime(symbol));
  }

  private loadMovers(p: Period): void {
    void this.movers.run(() => this.api.movers(p, 10));
  }

  /** Freshness and live prices; a background refresh that fails keeps what is shown. */
  private refresh(background = false): void {
    const sym = this.liveSymbol();
    if (!background || this.fresh.status() !== 'error') void this.fresh.run(() => this.api.freshness());
    void this.live.run(() => this.api.realtime(sym)).then(() => {
      if (this.live.status() === 'ready') this.updated.set(new Date().toLocaleTimeString('en-US'));
    });
  }

  /** The period's best and worst performers as one bar chart. */
  protected readonly overview = computed<EChartsCoreOption>(() => {
    const m = this.movers.value();
    const rows: Mover[] = [...(m?.gainers ?? []), ...[...(m?.losers ?? [])].reverse()];
    const seen = new Set<string>();
    const uniq = rows.filter((r) => !seen.has(r.symbol) && seen.add(r.symbol));
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${v}%` },
      grid: { left: 48, right: 16, top: 16, bottom: 56 },
      xAxis: { type: 'category', data: uniq.map((r) => r.symbol), axisLabel: { rotate: 45 } },
      yAxis: { type: 'value', name: '%' },
      series: [
        {
          type: 'bar', name: 'Change',
          data: uniq.map((r) => ({ value: +r.change_percent.toFixed(2), itemStyle: { color: r.change_percent >= 0 ? '#0a7a33' : '#b3261e' } })),
        },
      ],
    };
  });
}
