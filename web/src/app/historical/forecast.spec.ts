import { TestBed } from '@angular/core/testing';
import bars from '../../testdata/bars-msft-page2.json';
import predict from '../../testdata/predict-msft.json';
import tooLittle from '../../testdata/problem-too-little-history.json';
import { recordedApi } from '../../testing/recorded-fetch';
import { settle } from '../../testing/settle';
import type { Bar } from '../api/client';
import type { Forecast } from '../api/predict';
import { before, isoDate } from '../shared/format';
import { DEFAULT_HORIZON, ForecastPanel, daysBetween, fanOption, fanSeries, horizonOf, ivWithin, volOption } from './forecast';

const forecast = predict as Forecast;
const history = bars.bars as Bar[];

describe('horizonOf', () => {
  const cases: [string | undefined, number][] = [
    ['1', 1], ['20', 20], ['7', 7], ['0', DEFAULT_HORIZON], ['21', DEFAULT_HORIZON], ['2.5', DEFAULT_HORIZON], ['x', DEFAULT_HORIZON], [undefined, DEFAULT_HORIZON],
  ];
  for (const [v, want] of cases) it(`${v} → ${want}`, () => expect(horizonOf(v)).toBe(want));
});

describe('fan chart', () => {
  it('continues the closes the forecast saw: every band opens at the last close on the last session', () => {
    // A bar after the forecast's as-of time is not part of what it saw.
    const late: Bar = { ...history.at(-1)!, t: '2026-11-25', close: 300 };
    const fan = fanSeries([...history, late], forecast);
    const n = forecast.points!.length;
    const anchor = history.length - 1;
    expect(fan.dates).toEqual([...history.map((b) => b.t), ...forecast.points!.map((p) => p.date)]);
    expect(fan.dates[anchor]).toBe('2026-11-24');
    expect(fan.close.slice(0, history.length)).toEqual(history.map((b) => b.close));
    expect(fan.close.slice(history.length)).toEqual(Array(n).fill(null));
    for (const q of ['q05', 'q25', 'q50', 'q75', 'q95'] as const) {
      expect(fan[q].slice(0, anchor).every((v) => v === null)).toBe(true);
      expect(fan[q][anchor]).toBe(forecast.lastClose);
      expect(fan[q].slice(anchor + 1)).toEqual(forecast.points!.map((p) => p[q]));
    }
  });

  it('starts from the last close alone when no closes loaded', () => {
    const fan = fanSeries([], forecast);
    expect(fan.dates[0]).toBe('2026-11-24');
    expect(fan.close[0]).toBe(forecast.lastClose);
    expect(fan.q95[0]).toBe(forecast.lastClose);
    expect(fan.dates).toHaveLength(forecast.points!.length + 1);
  });

  it('draws each band as its width on its lower edge, so the stack tops out at the upper quantile', () => {
    const fan = fanSeries(history, forecast);
    const series = (fanOption(fan) as { series: { name: string; stack?: string; data: (number | null)[] }[] }).series;
    const byName = Object.fromEntries(series.map((s) => [s.name, s]));
    const top = (lower: string, width: string) => byName[lower].data.map((v, i) => (v == null ? null : +(v + byName[width].data[i]!).toFixed(6)));
    expect(byName['q05'].stack).toBe(byName['5–95%'].stack);
    expect(byName['q25'].stack).toBe(byName['25–75%'].stack);
    expect(top('q05', '5–95%')).toEqual(fan.q95.map((v) => (v == null ? null : +v.toFixed(6))));
    expect(top('q25', '25–75%')).toEqual(fan.q75.map((v) => (v == null ? null : +v.toFixed(6))));
    expect(byName['5–95%'].data.every((v) => v == null || v >= 0)).toBe(true);
    expect(byName['Median'].data).toEqual(fan.q50);
  });
});

describe('volatility beside implied volatility', () => {
  it('keeps the expirations inside the forecast and the first one after', () => {
    expect(ivWithin(forecast.atmIv!, 8).map((a) => a.days)).toEqual([10]);
    expect(ivWithin(forecast.atmIv!, 17).map((a) => a.days)).toEqual([10, 17, 24]);
    expect(ivWithin(forecast.atmIv!, 100).map((a) => a.days)).toEqual([10, 17, 24, 52]);
    expect(ivWithin([], 10)).toEqual([]);
  });

  it('puts both on calendar days ahead, in percent', () => {
    const series = (volOption(forecast) as { series: { data: number[][] }[] }).series;
    expect(series[0].data).toEqual(forecast.points!.map((p) => [daysBetween(forecast.asOf, p.date), +(p.vol * 100).toFixed(2)]));
    expect(series[0].data[0][0]).toBe(1);
    expect(series[1].data).toEqual([[10, 27.4]]);
  });
});

describe('ForecastPanel', { timeout: 30_000 }, () => {
  const to = isoDate(new Date());
  const barsKey = `/api/v1/bars/MSFT?interval=1day&from=${before(to, 3)}&to=${to}&page=1&page_size=5000`;

  async function render(routes: Parameters<typeof recordedApi>[0], horizon = 5) {
    const rec = recordedApi(routes);
    TestBed.configureTestingModule({ imports: [ForecastPanel], providers: [...rec.providers] });
    const fixture = TestBed.createComponent(ForecastPanel);
    fixture.componentRef.setInput('symbol', 'MSFT');
    fixture.componentRef.setInput('horizon', horizon);
    const settled = () => settle(fixture);
    await settled();
    return { fixture, el: fixture.nativeElement as HTMLElement, asked: rec.asked, settle: settled };
  }

  it('shows the model, the bands session by session and the ATM IV in reach', async () => {
    const { el, asked } = await render({ '/api/v1/predict/MSFT?horizon=5': { body: predict }, [barsKey]: { body: bars } });
    expect(asked).toContain('/api/v1/predict/MSFT?horizon=5');
    expect(asked).toContain(barsKey);
    expect(el.getAttribute('data-points')).toBe('5');
    expect(el.querySelector('.model')?.textContent).toBe('har-rv v3');
    expect(el.querySelector('.meta')?.textContent).toContain('2026-11-24 21:00 UTC');
    const rows = [...el.querySelectorAll('table.points tbody tr')];
    expect(rows).toHaveLength(5);
    for (const [i, row] of rows.entries()) {
      const p = forecast.points![i];
      const [q05, q50, q95] = ['q05', 'q50', 'q95'].map((c) => Number(row.querySelector(`td.${c}`)?.textContent));
      expect([q05, q50, q95]).toEqual([p.q05, p.q50, p.q95]);
      expect(q05).toBeLessThan(q50);
      expect(q50).toBeLessThan(q95);
    }
    expect(el.querySelectorAll('app-echart')).toHaveLength(2);
    expect(el.querySelector('.iv')?.textContent).toContain('2026-12-04 (10 d) 27.4%');
    expect(el.querySelector('[role=alert]')).toBeNull();
  });

  it("says the server's reason when it cannot forecast, and asks again for another horizon", async () => {
    const { el, fixture, asked, settle } = await render({
      '/api/v1/predict/MSFT?horizon=5': { status: 422, body: tooLittle },
      '/api/v1/predict/MSFT?horizon=12': { body: predict },
      [barsKey]: { body: bars },
    });
    expect(el.querySelector('[role=alert]')?.textContent).toContain(`Could not load the forecast: ${tooLittle.detail}`);
    expect(el.querySelector('table.points')).toBeNull();
    fixture.componentRef.setInput('horizon', 12);
    await settle();
    expect(asked).toContain('/api/v1/predict/MSFT?horizon=12');
    expect(el.querySelector('[role=alert]')).toBeNull();
    expect(el.querySelectorAll('table.points tbody tr')).toHaveLength(5);
  });

  it('says so when the forecast has no sessions', async () => {
    const { el } = await render({ '/api/v1/predict/MSFT?horizon=5': { body: { ...predict, points: [] } }, [barsKey]: { body: bars } });
    expect(el.textContent).toContain('No forecast for MSFT yet.');
    expect(el.querySelector('[role=alert]')).toBeNull();
  });

  it('offers every horizon from 1 to 20 and reports the one chosen', async () => {
    const { el, fixture, settle } = await render({ '/api/v1/predict/MSFT?horizon=5': { body: predict }, [barsKey]: { body: bars } });
    const chosen: number[] = [];
    fixture.componentInstance.horizonChange.subscribe((h) => chosen.push(h));
    (el.querySelector('mat-select .mat-mdc-select-trigger') as HTMLElement).click();
    await settle();
    const options = [...document.querySelectorAll('mat-option')] as HTMLElement[];
    expect(options.map((o) => o.textContent?.trim())).toEqual(Array.from({ length: 20 }, (_, i) => `${i + 1} ${i ? 'sessions' : 'session'}`));
    options[19].click();
    expect(chosen).toEqual([20]);
  });
});
