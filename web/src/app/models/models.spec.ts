import { TestBed } from '@angular/core/testing';
import report from '../../testdata/models.json';
import { recordedFetch } from '../../testing/recorded-fetch';
import { settle } from '../../testing/settle';
import { API_BASE_URL, API_FETCH, type ModelVersion } from '../api/client';
import { JOB_POLL_MS, Models, baselineKeys, candidates, comparable, metricOption, modelLabel, score } from './models';

const models = report.models as ModelVersion[];

type Series = { name: string; type: string; data: (number | null)[] };
const seriesOf = (o: unknown) => (o as { series: Series[] }).series;

describe('metric charts', () => {
  const charted = candidates(models);

  it('sets the models that may serve against the baselines, not the baselines against themselves', () => {
    expect(charted.map(modelLabel)).toEqual(['garch v1', 'har-rv v1', 'ridge-harx v1']);
    const o = metricOption(charted, 'qlike') as { xAxis: { data: string[] } };
    expect(o.xAxis.data).toEqual(['garch v1', 'har-rv v1', 'ridge-harx v1']);
    const s = seriesOf(o);
    expect(s.map((x) => x.name)).toEqual(['Model', 'EWMA', 'Random walk', 'Implied volatility']);
    expect(s[0].data).toEqual(charted.map((m) => m.metrics.qlike));
    expect(s[1].data).toEqual(charted.map((m) => m.baselines!['ewma'].qlike));
  });

  it("charts the serving version's models, or the newest version's when a baseline serves", () => {
    const v2 = models.map((m) => ({ ...m, version: 'v2', trainedAt: '2026-12-05T00:00:00Z' }));
    expect(candidates([...v2, ...models], 'v1').map(modelLabel)).toEqual(['garch v1', 'har-rv v1', 'ridge-harx v1']);
    expect(candidates([...models, ...v2], 'v0').map(modelLabel)).toEqual(['garch v2', 'har-rv v2', 'ridge-harx v2']);
    expect(candidates([])).toEqual([]);
  });

  it('starts the axis below the lowest score, so every bar shows', () => {
    for (const [metric, target] of [['qlike', undefined], ['pinball', undefined], ['cover90', 90]] as const) {
      const o = metricOption(charted, metric, target) as { yAxis: { min: (v: { min: number; max: number }) => number } };
      const values = seriesOf(o).flatMap((x) => x.data).filter((v): v is number => v != null);
      const [lo, hi] = [Math.min(...values), Math.max(...values)];
      const min = o.yAxis.min({ min: lo, max: hi });
      expect(min).toBeLessThan(lo);
      expect(lo - min).toBeGreaterThan((hi - lo) * 0.1);
    }
  });

  it('compares implied volatility only over the forecasts it has', () => {
    // Its plain QLIKE and pinball loss cover 352 forecasts, the models' 22,874.
    expect(seriesOf(metricOption(charted, 'qlike'))[3].data).toEqual([null, null, null]);
    expect(seriesOf(metricOption(charted, 'pinball'))[3].data).toEqual([null, null, null]);
    const iv = seriesOf(metricOption(charted, 'qlikeWithIv'));
    expect(iv[0].data).toEqual(charted.map((m) => m.metrics.qlikeWithIv));
    expect(iv[3].data).toEqual(charted.map((m) => m.baselines!['impliedVol'].qlikeWithIv));
    expect(comparable({ n: 5 }, { n: 5 }, 'qlike')).toBe(true);
    expect(comparable({ n: 5 }, {}, 'qlike')).toBe(true);
    expect(comparable({ n: 5, nWithIv: 2 }, { n: 2, nWithIv: 2 }, 'qlikeWithIv')).toBe(true);
  });

  it('shows coverage in percent against its band level', () => {
    const s = seriesOf(metricOption(charted, 'cover90', 90));
    expect(s[0].data).toEqual([89.4, 89.7, 89.73]);
    const target = s.at(-1)!;
    expect(target.type).toBe('line');
    expect(target.data).toEqual([90, 90, 90]);
  });

  it('orders the known baselines first and keeps any others', () => {
    const m = models[0].metrics;
    const extra: ModelVersion = { ...models[0], baselines: { zeta: m, impliedVol: m, ewma: m } };
    expect(baselineKeys([extra])).toEqual(['ewma', 'impliedVol', 'zeta']);
    // Go writes an empty map as null.
    expect(baselineKeys([{ ...models[0], baselines: null as unknown as ModelVersion['baselines'] }])).toEqual([]);
  });

  it('prints scores readably', () => {
    expect(score(0.33812)).toBe('0.3381');
    expect(score(2.6e-8)).toBe('2.60e-8');
    expect(score(0)).toBe('0');
    expect(score(null)).toBe('–');
  });
});

describe('Models', { timeout: 30_000 }, () => {
  async function render(routes: Parameters<typeof recordedFetch>[0]) {
    const rec = recordedFetch(routes);
    const sent: { url: string; method: string; key: string | null }[] = [];
    const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const req = input instanceof Request ? input : new Request(String(input), init);
      sent.push({ url: req.url, method: req.method, key: req.headers.get('X-API-Key') });
      return rec.fetch(input, init);
    };
    TestBed.configureTestingModule({
      imports: [Models],
      providers: [
        { provide: API_BASE_URL, useValue: 'http://tickerlake.test' },
        { provide: API_FETCH, useValue: fetch },
        { provide: JOB_POLL_MS, useValue: 0 },
      ],
    });
    const fixture = TestBed.createComponent(Models);
    const settled = () => settle(fixture, 6);
    await settled();
    return { fixture, el: fixture.nativeElement as HTMLElement, asked: rec.asked, sent, settle: settled };
  }

  it('lists every version with its windows and scores, marks the serving one and the baselines, and says why', async () => {
    const { el } = await render({ '/api/v1/models': { body: report } });
    expect(el.querySelector('#serving-title')?.textContent).toContain('ridge-harx v1');
    expect(el.querySelector('.reason')?.textContent).toBe(report.reason);
    const rows = [...el.querySelectorAll('table.versions tbody tr')] as HTMLElement[];
    expect(rows.map((r) => r.querySelector('th')?.textContent?.trim())).toEqual([
      'garch v1', 'har-rv v1', 'ridge-harx v1 serving', 'ewma v1 baseline', 'random-walk v1 baseline', 'implied-vol v1 baseline',
    ]);
    expect(rows.map((r) => r.dataset['serving'])).toEqual(['false', 'false', 'true', 'false', 'false', 'false']);
    const cells = [...rows[2].querySelectorAll('td')].map((c) => c.textContent?.trim());
    expect(cells).toEqual([
      '2026-12-04 02:26', '2025-12-02 – 2026-12-01', '2026-05-27 – 2026-11-30', '22,874', '0.2005', '0.1353', '0.01646', '0.00543', '49.8%', '89.7%',
    ]);
    expect(el.querySelectorAll('app-echart')).toHaveLength(3);
  });

  it('shows the reason a baseline serves when no version is saved', async () => {
    const { el } = await render({
      '/api/v1/models': { body: { serving: { name: 'ewma', version: 'v0' }, reason: 'no trained version is committed yet, so the EWMA baseline serves', models: [] } },
    });
    expect(el.querySelector('#serving-title')?.textContent).toContain('ewma v0');
    expect(el.textContent).toContain('No model version is saved yet');
    expect(el.querySelectorAll('app-echart')).toHaveLength(0);
  });

  it("says the server's reason when the models cannot be read", async () => {
    const { el } = await render({ '/api/v1/models': { status: 503, body: { title: 'Service Unavailable', status: 503, detail: 'predictor is loading its models' } } });
    expect(el.querySelector('[role=alert]')?.textContent).toContain('Could not load the models: predictor is loading its models');
  });

  it('starts a fine-tune with the admin key, follows it to its outcome and reads the models again', async () => {
    let polls = 0;
    const routes: Parameters<typeof recordedFetch>[0] = {
      '/api/v1/models': { body: report },
      '/api/v1/models/fine-tune': { status: 202, body: { job: 'j1', status: 'running' } },
    };
    Object.defineProperty(routes, '/api/v1/models/jobs/j1', {
      enumerable: true,
      get: () => (++polls < 2 ? { body: { job: 'j1', status: 'running', progress: 0.5, message: 'garch' } } : { body: { job: 'j1', status: 'succeeded', progress: 1, message: 'done', version: 'v4' } }),
    });
    const { el, fixture, sent, settle } = await render(routes);
    (el.querySelector('input[type=password]') as HTMLInputElement).value = ' secret ';
    (el.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit'));
    fixture.detectChanges();
    await settle();
    await settle();
    expect(sent.find((s) => s.method === 'POST')).toEqual({ url: 'http://tickerlake.test/api/v1/models/fine-tune', method: 'POST', key: 'secret' });
    expect(polls).toBe(2);
    const job = el.querySelector('.job') as HTMLElement;
    expect(job.dataset['status']).toBe('succeeded');
    expect(job.textContent).toContain('version v4');
    expect(sent.filter((s) => s.url.endsWith('/api/v1/models'))).toHaveLength(2);
  });

  it("shows why a fine-tune was refused", async () => {
    const { el, fixture, settle } = await render({
      '/api/v1/models': { body: report },
      '/api/v1/models/fine-tune': { status: 409, body: { title: 'Conflict', status: 409, detail: 'a fine-tune is already running: job j1' } },
    });
    (el.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit'));
    fixture.detectChanges();
    await settle();
    expect(el.querySelector('.error[role=alert]')?.textContent).toContain('a fine-tune is already running: job j1');
    expect((el.querySelector('button[type=submit]') as HTMLButtonElement).disabled).toBe(false);
  });
});
