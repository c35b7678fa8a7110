import { Component, computed, effect, inject, input, output, untracked } from '@angular/core';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import type { EChartsCoreOption } from 'echarts/core';
import { Api, AtmIv, Bar, Forecast } from '../api/client';
import { EChart } from '../shared/echart';
import { before, isoDate, price, vol } from '../shared/format';
import { Loader } from '../shared/loader';
import { StateView } from '../shared/state-view';

/** The horizons the predictor accepts, in sessions, and the one the panel opens on. */
export const MIN_HORIZON = 1;
export const MAX_HORIZON = 20;
export const DEFAULT_HORIZON = 10;
/** Months of daily closes drawn before the fan. */
const HISTORY_MONTHS = 3;

const CLOSE = '#1b1b1f';
const MEDIAN = '#0b57d0';
const IV = '#8a5a00';

/** A horizon from the URL, or the default when it is missing or outside 1–20. */
export function horizonOf(v: string | number | undefined): number {
  const n = Number(v);
  return Number.isInteger(n) && n >= MIN_HORIZON && n <= MAX_HORIZON ? n : DEFAULT_HORIZON;
}

/** Whole calendar days from one ISO date (or RFC 3339 time) to another. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to.slice(0, 10)) - Date.parse(from.slice(0, 10))) / 86_400_000);
}

export interface Fan {
  dates: string[];
  close: (number | null)[];
  q05: (number | null)[];
  q25: (number | null)[];
  q50: (number | null)[];
  q75: (number | null)[];
  q95: (number | null)[];
}

/**
 * The price chart continued past the last close: the closes the forecast
 * saw (none after its last session), then every quantile starting from the
 * last close at the last session, so the bands open out of the line.
 */
export function fanSeries(history: readonly Bar[], f: Forecast): Fan {
  const points = f.points ?? [];
  const first = points[0]?.date ?? '9999-12-31';
  const last = f.lastDate ?? f.asOf.slice(0, 10);
  const past = history.map((b) => ({ date: b.t.slice(0, 10), close: b.close })).filter((b) => b.date <= last && b.date < first);
  // The last close's own session, when the closes loaded stop short of it.
  if (past.at(-1)?.date !== last && last < first) past.push({ date: last, close: f.lastClose });
  if (!past.length) past.push({ date: last, close: f.lastClose });
  const lead = past.length - 1;
  const band = (q: 'q05' | 'q25' | 'q50' | 'q75' | 'q95') => [...Array<null>(lead).fill(null), f.lastClose, ...points.map((p) => p[q])];
  return {
    dates: [...past.map((b) => b.date), ...points.map((p) => p.date)],
    close: [...past.map((b) => b.close), ...points.map(() => null)],
    q05: band('q05'),
    q25: band('q25'),
    q50: band('q50'),
    q75: band('q75'),
    q95: band('q95'),
  };
}

const width = (hi: (number | null)[], lo: (number | null)[]) => hi.map((v, i) => (v == null || lo[i] == null ? null : v - lo[i]!));
const hidden = { lineStyle: { opacity: 0 }, showSymbol: false, silent: true, tooltip: { show: false } };

/** The fan chart: closes, then the 5–95 % and 25–75 % bands and the median. */
export function fanOption(fan: Fan): EChartsCoreOption {
  // A band is drawn as its width stacked on an invisible lower edge.
  return {
    tooltip: {
      trigger: 'axis',
      formatter: (params: { dataIndex: number }[]) => {
        const i = params[0]?.dataIndex ?? 0;
        const rows =
          fan.close[i] != null
            ? [`Close ${price(fan.close[i])}`]
            : [`95% ${price(fan.q95[i])}`, `75% ${price(fan.q75[i])}`, `Median ${price(fan.q50[i])}`, `25% ${price(fan.q25[i])}`, `5% ${price(fan.q05[i])}`];
        return [fan.dates[i], ...rows].join('<br>');
      },
    },
    legend: { top: 0, data: ['Close', 'Median', '25–75%', '5–95%'] },
    grid: { left: 56, right: 24, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: fan.dates, boundaryGap: false },
    yAxis: { type: 'value', scale: true, name: 'Price' },
    series: [
      { name: 'Close', type: 'line', data: fan.close, showSymbol: false, itemStyle: { color: CLOSE } },
      { name: 'q05', type: 'line', stack: 'outer', data: fan.q05, ...hidden },
      {
        name: '5–95%', type: 'line', stack: 'outer', data: width(fan.q95, fan.q05), showSymbol: false,
        lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(11,87,208,0.15)' }, itemStyle: { color: 'rgba(11,87,208,0.3)' },
      },
      { name: 'q25', type: 'line', stack: 'inner', data: fan.q25, ...hidden },
      {
        name: '25–75%', type: 'line', stack: 'inner', data: width(fan.q75, fan.q25), showSymbol: false,
        lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(11,87,208,0.3)' }, itemStyle: { color: 'rgba(11,87,208,0.5)' },
      },
      { name: 'Median', type: 'line', data: fan.q50, showSymbol: false, lineStyle: { type: 'dashed' }, itemStyle: { color: MEDIAN } },
    ],
  };
}

/**
 * The expirations worth comparing with a forecast reaching `days` calendar
 * days: every one inside it and the first one after.
 */
export function ivWithin(atm: readonly AtmIv[], days: number): AtmIv[] {
  const sorted = [...atm].sort((a, b) => a.days - b.days);
  const beyond = sorted.findIndex((a) => a.days > days);
  return beyond < 0 ? sorted : sorted.slice(0, beyond + 1);
}

const pct = (v: number) => +(v * 100).toFixed(2);

/** Forecast volatility by calendar days ahead, beside the ATM IV of the expirations in reach. */
export function volOption(f: Forecast): EChartsCoreOption {
  const points = f.points ?? [];
  const reach = points.length ? daysBetween(f.asOf, points.at(-1)!.date) : 0;
  return {
    tooltip: {
      trigger: 'item',
      formatter: (p: { seriesName: string; value: [number, number] }) => `${p.seriesName}<br>${p.value[0]} days ahead: ${p.value[1]}%`,
    },
    legend: { top: 0 },
    grid: { left: 56, right: 24, top: 40, bottom: 40 },
    xAxis: { type: 'value', name: 'Calendar days ahead', nameLocation: 'middle', nameGap: 28, min: 0 },
    yAxis: { type: 'value', name: 'Annualised %', scale: true },
    series: [
      { name: 'Forecast volatility', type: 'line', data: points.map((p) => [daysBetween(f.asOf, p.date), pct(p.vol)]), itemStyle: { color: MEDIAN } },
      { name: 'ATM implied volatility', type: 'line', data: ivWithin(f.atmIv ?? [], reach).map((a) => [a.days, pct(a.iv)]), itemStyle: { color: IV }, lineStyle: { type: 'dashed' } },
    ],
  };
}

interface Shown {
  forecast: Forecast;
  history: Bar[];
}

/**
 * The forecast panel of /HistoricalData: price quantiles as a fan continuing
 * the closes, the volatility forecast beside the options' implied volatility,
 * and the figures as a table.
 */
@Component({
  selector: 'app-forecast',
  imports: [StateView, EChart, MatFormFieldModule, MatSelectModule],
  templateUrl: './forecast.html',
  styleUrl: './forecast.scss',
  host: { '[attr.data-points]': 'points().length', '[attr.data-horizon]': 'horizon()' },
})
export class ForecastPanel {
  private readonly api = inject(Api);
  readonly symbol = input.required<string>();
  readonly horizon = input(DEFAULT_HORIZON);
  readonly horizonChange = output<number>();

  protected readonly horizons = Array.from({ length: MAX_HORIZON - MIN_HORIZON + 1 }, (_, i) => MIN_HORIZON + i);
  protected readonly data = new Loader<Shown>((d) => !d.forecast.points?.length);
  protected readonly forecast = computed(() => this.data.value()?.forecast);
  protected readonly points = computed(() => this.forecast()?.points ?? []);
  protected readonly fan = computed<EChartsCoreOption>(() => {
    const d = this.data.value();
    return d ? fanOption(fanSeries(d.history, d.forecast)) : {};
  });
  protected readonly vols = computed<EChartsCoreOption>(() => {
    const f = this.forecast();
    return f ? volOption(f) : {};
  });
  protected readonly ivs = computed(() => {
    const f = this.forecast();
    const last = this.points().at(-1);
    return f && last ? ivWithin(f.atmIv ?? [], daysBetween(f.asOf, last.date)) : [];
  });

  protected readonly price = price;
  protected readonly vol = vol;
  /** An RFC 3339 time to the minute, as a reader says it. */
  protected readonly asOf = (t: string) => t.slice(0, 16).replace('T', ' ') + (t.endsWith('Z') ? ' UTC' : '');

  constructor() {
    effect(() => {
      const [s, h] = [this.symbol(), this.horizon()];
      untracked(() => void this.data.run(() => this.load(s, h)));
    });
  }

  /** The forecast and, beside it, recent closes; the fan still shows when the closes fail. */
  private async load(symbol: string, horizon: number): Promise<Shown> {
    const to = isoDate(new Date());
    const [forecast, history] = await Promise.all([
      this.api.forecast(symbol, horizon),
      this.api.bars(symbol, '1day', before(to, HISTORY_MONTHS), to).catch(() => [] as Bar[]),
    ]);
    return { forecast, history };
  }
}
