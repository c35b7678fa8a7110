import { TestBed } from '@angular/core/testing';
import bars from '../../testdata/bars-msft-page2.json';
import predict from '../../testdata/predict-msft.json';
import tooLittle from '../../testdata/problem-too-little-history.json';
import { recordedApi } from '../../testing/recorded-fetch';
import { settle } from '../../testing/settle';
import type { Bar, Forecast } from '../api/client';
import { before, isoDate, price } from '../shared/format';
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
  const bar = (t: string, close: number): Bar => ({ t, open: close, high: close, low: close, close, volume: 1, imputed: false });
  const n = forecast.points!.length;

  it('continues the closes the forecast saw: every band opens at the last close on its session', () => {
    // A bar after the last close's session is not part of what the forecast saw.
    const closes = [bar('2026-11-27', 205), bar('2026-11-30', 207), bar('2026-12-01', 208.11), bar('2026-12-02', 300)];
    const fan = fanSeries(closes, forecast);
    expect(fan.dates).toEqual(['2026-11-27', '2026-11-30', '2026-12-01', ...forecast.points!.map((p) => p.date)]);
    expect(fan.close).toEqual([205, 207, 208.11, ...Array(n).fill(null)]);
    for (const q of ['q05', 'q25', 'q50', 'q75', 'q95'] as const) {
      expect(fan[q].slice(0, 2)).toEqual([null, null]);
      expect(fan[q][2]).toBe(forecast.lastClose);
      expect(fan[q].slice(3)).toEqual(forecast.points!.map((p) => p[q]));
    }
  });

  it("adds the last close's session when the closes loaded stop short of it", () => {
    const fan = fanSeries(history, forecast);
    expect(history.at(-1)!.t < forecast.lastDate!).toBe(true);
    expect(fan.dates).toEqual([...history.map((b) => b.t), forecast.lastDate, ...forecast.points!.map((p) => p.date)]);
    expect(fan.close[history.length]).toBe(forecast.lastClose);
    expect(fan.q95[history.length]).toBe(forecast.lastClose);
    expect(fan.q95[history.length - 1]).toBeNull();
  });

  it('starts from the last close alone when no closes loaded', () => {
    const fan = fanSeries([], forecast);
    expect(fan.dates[0]).toBe(forecast.lastDate);
    expect(fan.close[0]).toBe(forecast.lastClose);
    expect(fan.q95[0]).toBe(forecast.lastClose);
    expect(fan.dates).toHaveLength(n + 1);
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
    const atm = [52, 10, 24, 17].map((days) => ({ expiration: `d${days}`, days, iv: 0.2 }));
    expect(ivWithin(atm, 8).map((a) => a.days)).toEqual([10]);
    expect(ivWithin(atm, 17).map((a) => a.days)).toEqual([10, 17, 24]);
    expect(ivWithin(atm, 100).map((a) => a.days)).toEqual([10, 17, 24, 52]);
    expect(ivWithin([], 10)).toEqual([]);
  });

  it('puts both on calendar days ahead, in percent', () => {
    const series = (volOption(forecast) as { series: { data: number[][] }[] }).series;
    expect(series[0].data).toEqual(forecast.points!.map((p) => [daysBetween(forecast.asOf, p.date), +(p.vol * 100).toFixed(2)]));
    expect(series[0].data.map((d) => d[0])).toEqual([0, 1, 2, 5, 6]);
    expect(series[1].data).toEqual([[2, 19.52], [9, 19.81]]);
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
    expect(el.querySelector('.model')?.textContent).toBe('ridge-harx v1');
    expect(el.querySelector('.meta')?.textContent).toContain('data as of 2026-12-02 18:00 UTC');
    expect(el.querySelector('.meta')?.textContent).toContain('last close 208.11 on 2026-12-01');
    expect(el.querySelector('.note')?.textContent).toContain('the direction of prices is not forecast');
    const rows = [...el.querySelectorAll('table.points tbody tr')];
    expect(rows).toHaveLength(5);
    for (const [i, row] of rows.entries()) {
      const p = forecast.points![i];
      const [q05, q50, q95] = ['q05', 'q50', 'q95'].map((c) => Number(row.querySelector(`td.${c}`)?.textContent));
      expect([q05, q50, q95]).toEqual([p.q05, p.q50, p.q95].map((v) => Number(price(v))));
      expect(q05).toBeLessThan(q50);
      expect(q50).toBeLessThan(q95);
      expect(row.textContent).toContain(p.date);
    }
    expect(el.querySelectorAll('app-echart')).toHaveLength(2);
    expect([...el.querySelectorAll('.iv')].map((e) => e.textContent?.trim())).toEqual(['2026-12-04 (2 d) 19.5%', '2026-12-11 (9 d) 19.8%']);
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
