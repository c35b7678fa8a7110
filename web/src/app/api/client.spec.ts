import { TestBed } from '@angular/core/testing';
import search from '../../testdata/search-micro-soft.json';
import bars1 from '../../testdata/bars-msft-page1.json';
import bars2 from '../../testdata/bars-msft-page2.json';
import problem from '../../testdata/problem-unknown-symbol.json';
import predict from '../../testdata/predict-msft.json';
import tooLittle from '../../testdata/problem-too-little-history.json';
import { recordedApi } from '../../testing/recorded-fetch';
import { Api, ApiError } from './client';

function api(routes: Parameters<typeof recordedApi>[0]) {
  const rec = recordedApi(routes);
  TestBed.configureTestingModule({
    providers: [
      ...rec.providers,
    ],
  });
  return { api: TestBed.inject(Api), asked: rec.asked };
}

describe('Api', () => {
  it('searches names with spaces', async () => {
    const { api: a, asked } = api({ '/api/v1/search?q=micro%20soft&limit=8': { body: search } });
    const found = await a.search('micro soft');
    expect(asked).toEqual(['/api/v1/search?q=micro%20soft&limit=8']);
    expect(found[0].symbol).toBe('MSFT');
    expect(found[0].name).toBe('Microsoft Corporation');
  });

  it('reads every page of a range of bars, oldest first', async () => {
    const q = 'interval=1day&from=2025-11-27&to=2026-11-27';
    const { api: a, asked } = api({
      [`/api/v1/bars/MSFT?${q}&page=1&page_size=150`]: { body: bars1 },
      [`/api/v1/bars/MSFT?${q}&page=2&page_size=150`]: { body: bars2 },
    });
    const bars = await a.bars('MSFT', '1day', '2025-11-27', '2026-11-27', 150);
    expect(asked).toHaveLength(2);
    expect(bars).toHaveLength(bars1.bars.length + bars2.bars.length);
    const dates = bars.map((b) => b.t);
    expect([...dates].sort()).toEqual(dates);
  });

  it('asks for split- and dividend-adjusted bars when told to', async () => {
    const q = 'interval=1day&from=2025-11-27&to=2026-11-27&page=1&page_size=5000';
    const { api: a, asked } = api({
      [`/api/v1/bars/MSFT?${q}&adjusted=true`]: { body: { ...bars1, next_page: null } },
    });
    const bars = await a.bars('MSFT', '1day', '2025-11-27', '2026-11-27', 5000, 20000, true);
    expect(asked).toHaveLength(1);
    expect(bars).toHaveLength(bars1.bars.length);
  });

  it('turns a problem document into an ApiError with its detail', async () => {
    const { api: a } = api({ '/api/v1/quotes/NOPE': { status: 404, body: problem } });
    const err = await a.quote('NOPE').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
    expect((err as ApiError).message).toContain(problem.detail);
  });

  it('builds download links for the server-side files', () => {
    const { api: a } = api({});
    expect(a.downloadUrl('BRK.B', '1day', '2026-01-02', '2026-11-27', 'parquet')).toBe(
      'http://tickerlake.test/api/v1/bars/BRK.B/download?interval=1day&from=2026-01-02&to=2026-11-27&format=parquet',
    );
  });

  it('asks the predictor for a horizon and reads its forecast', async () => {
    const { api: a, asked } = api({ '/api/v1/predict/BRK.B?horizon=7': { body: predict } });
    const f = await a.forecast('BRK.B', 7);
    expect(asked).toEqual(['/api/v1/predict/BRK.B?horizon=7']);
    expect(f.model).toEqual({ name: 'ridge-harx', version: 'v1' });
    expect(f.points?.[0].q50).toBe(predict.points[0].q50);
  });

  it("gives the predictor's problem detail, e.g. how much history it needs", async () => {
    const { api: a } = api({ '/api/v1/predict/MSFT?horizon=20': { status: 422, body: tooLittle } });
    const err = await a.forecast('MSFT', 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect((err as ApiError).message).toBe(tooLittle.detail);
  });
});
