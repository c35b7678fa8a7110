import { NgTemplateOutlet } from '@angular/common';
import { Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import { Router } from '@angular/router';
import type { EChartsCoreOption } from 'echarts/core';
import { Api, Chain, ContractHistory, Expiration, OptionRow, Surface } from '../api/client';
import { EChart } from '../shared/echart';
import { compact, price, vol } from '../shared/format';
import { Loader } from '../shared/loader';
import { StateView } from '../shared/state-view';
import { SymbolSearch } from '../shared/symbol-search';
import { StrikeRow, aroundTheMoney, atmIndex, defaultExpiration, pairByStrike } from './chain';

type Greek = 'delta' | 'gamma' | 'theta' | 'vega';

const CALL = '#0b57d0';
const PUT = '#b3261e';

/** /OptionsData: one expiration's chain with IV and Greeks, strike analysis, the smile, the term structure and one contract's history. */
@Component({
  selector: 'app-options',
  imports: [NgTemplateOutlet, SymbolSearch, StateView, EChart, MatButtonModule, MatButtonToggleModule, MatFormFieldModule, MatSelectModule],
  templateUrl: './options.html',
  styleUrl: './options.scss',
})
export class Options {
  private readonly api = inject(Api);
  private readonly router = inject(Router);

  readonly symbol = input<string>();
  readonly expiration = input<string>();

  protected readonly sym = computed(() => (this.symbol() || 'AAPL').toUpperCase());
  protected readonly exps = new Loader<Expiration[]>();
  protected readonly chain = new Loader<Chain>((c) => !c.calls?.length && !c.puts?.length);
  protected readonly surface = new Loader<Surface>((s) => !s.smiles?.length);
  protected readonly history = new Loader<ContractHistory>((h) => !h.history?.length);
  // An expiration in the URL loads at once, beside the list of expirations.
  protected readonly exp = computed(() => {
    const wanted = this.expiration();
    return wanted && /^\d{4}-\d{2}-\d{2}$/.test(wanted) ? wanted : defaultExpiration(this.exps.value() ?? []);
  });
  protected readonly width = signal(10);
  protected readonly greek = signal<Greek>('delta');
  protected readonly contract = signal('');

  protected readonly spot = computed(() => this.chain.value()?.underlying_price ?? null);
  protected readonly strikes = computed(() => {
    const c = this.chain.value();
    return c ? pairByStrike(c.calls ?? [], c.puts ?? []) : [];
  });
  protected readonly shown = computed(() => aroundTheMoney(this.strikes(), this.spot(), this.width()));
  protected readonly atmStrike = computed(() => this.strikes()[atmIndex(this.strikes(), this.spot())]?.strike);

  protected readonly price = price;
  protected readonly vol = vol;
  protected readonly compact = compact;

  constructor() {
    effect(() => {
      const s = this.sym();
      untracked(() => {
        this.contract.set('');
        void this.exps.run(() => this.api.expirations(s));
        void this.surface.run(() => this.api.surface(s));
      });
    });
    effect(() => {
      const [s, e] = [this.sym(), this.exp()];
      if (e) untracked(() => void this.chain.run(() => this.api.chain(s, e)));
    });
    effect(() => {
      const c = this.contract();
      if (c) untracked(() => void this.history.run(() => this.api.contract(c)));
    });
  }

  protected go(change: { symbol?: string; expiration?: string | null }): void {
    const q = { symbol: this.sym(), expiration: this.expiration() ?? null, ...change };
    void this.router.navigate([], { queryParams: q });
  }

  protected pickSymbol(symbol: string): void {
    this.go({ symbol, expiration: null });
  }

  protected showHistory(row: OptionRow | undefined): void {
    if (row) this.contract.set(row.contractSymbol);
  }

  protected itm(row: StrikeRow, side: 'call' | 'put'): boolean {
    return !!row[side]?.inTheMoney;
  }

  protected expLabel(e: Expiration): string {
    return `${e.expiration} · ${Math.round(e.days_to_expiry)} d`;
  }

  /** Open interest (bars) and volume (lines) by strike. */
  protected readonly strikeOption = computed<EChartsCoreOption>(() => {
    const rows = this.shown();
    const strikes = rows.map((r) => r.strike);
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 56, top: 64, bottom: 40 },
      xAxis: { type: 'category', data: strikes, name: 'Strike', nameLocation: 'middle', nameGap: 28 },
      yAxis: [
        { type: 'value', name: 'Open interest' },
        { type: 'value', name: 'Volume', splitLine: { show: false } },
      ],
      series: [
        { name: 'Call OI', type: 'bar', data: rows.map((r) => r.call?.openInterest ?? 0), itemStyle: { color: CALL } },
        { name: 'Put OI', type: 'bar', data: rows.map((r) => r.put?.openInterest ?? 0), itemStyle: { color: PUT } },
        { name: 'Call volume', type: 'line', yAxisIndex: 1, data: rows.map((r) => r.call?.volume ?? 0), itemStyle: { color: '#7fa7e8' } },
        { name: 'Put volume', type: 'line', yAxisIndex: 1, data: rows.map((r) => r.put?.volume ?? 0), itemStyle: { color: '#e39a94' } },
      ],
    };
  });

  /** The IV smile of the chosen expiration: tickerlake's own IV by strike. */
  protected readonly smileOption = computed<EChartsCoreOption>(() => {
    const rows = this.strikes();
    const pct = (v: number | null | undefined) => (v == null ? null : +(v * 100).toFixed(2));
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => (v == null ? '–' : `${v}%`) },
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 64, bottom: 40 },
      xAxis: { type: 'value', name: 'Strike', nameLocation: 'middle', nameGap: 28, scale: true },
      yAxis: { type: 'value', name: 'IV %', scale: true },
      series: [
        { name: 'Calls', type: 'line', showSymbol: false, connectNulls: true, data: rows.map((r) => [r.strike, pct(r.call?.iv)]), itemStyle: { color: CALL } },
        { name: 'Puts', type: 'line', showSymbol: false, connectNulls: true, data: rows.map((r) => [r.strike, pct(r.put?.iv)]), itemStyle: { color: PUT } },
      ],
    };
  });

  /** One Greek by strike for calls and puts. */
  protected readonly greekOption = computed<EChartsCoreOption>(() => {
    const rows = this.strikes();
    const g = this.greek();
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 64, bottom: 40 },
      xAxis: { type: 'value', name: 'Strike', nameLocation: 'middle', nameGap: 28, scale: true },
      yAxis: { type: 'value', name: g, scale: true },
      series: [
        { name: `Call ${g}`, type: 'line', showSymbol: false, data: rows.filter((r) => r.call?.[g] != null).map((r) => [r.strike, r.call![g]]), itemStyle: { color: CALL } },
        { name: `Put ${g}`, type: 'line', showSymbol: false, data: rows.filter((r) => r.put?.[g] != null).map((r) => [r.strike, r.put![g]]), itemStyle: { color: PUT } },
      ],
    };
  });

  /** ATM implied volatility by days to expiry. */
  protected readonly termOption = computed<EChartsCoreOption>(() => {
    const smiles = this.surface.value()?.smiles ?? [];
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${v}%` },
      grid: { left: 56, right: 24, top: 24, bottom: 40 },
      xAxis: { type: 'value', name: 'Days to expiry', nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'value', name: 'ATM IV %', scale: true },
      series: [
        {
          name: 'ATM IV', type: 'line',
          data: smiles.filter((s) => s.atm_iv != null).map((s) => [Math.round((s.days_to_expiry ?? 0) * 10) / 10, +((s.atm_iv ?? 0) * 100).toFixed(2)]),
          itemStyle: { color: CALL },
        },
      ],
    };
  });

  /** The chosen contract's mid price and IV across snapshots. */
  protected readonly historyOption = computed<EChartsCoreOption>(() => {
    const quotes = this.history.value()?.history ?? [];
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 56, top: 64, bottom: 40 },
      xAxis: { type: 'time' },
      yAxis: [
        { type: 'value', name: 'Mid', scale: true },
        { type: 'value', name: 'IV %', scale: true, splitLine: { show: false } },
      ],
      series: [
        { name: 'Mid', type: 'line', showSymbol: false, data: quotes.map((q) => [q.snapshot_ts, q.mid]), itemStyle: { color: CALL } },
        { name: 'IV %', type: 'line', yAxisIndex: 1, showSymbol: false, data: quotes.map((q) => [q.snapshot_ts, q.iv == null ? null : +(q.iv * 100).toFixed(2)]), itemStyle: { color: '#8a5a00' } },
      ],
    };
  });
}
