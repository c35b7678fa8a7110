import { Injectable, InjectionToken, inject } from '@angular/core';
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

/** The API's named schemas, as generated from its OpenAPI document. */
export type Schemas = components['schemas'];
export type Match = Schemas['Match'];
export type Bar = Schemas['Bar'];
export type OptionRow = Schemas['OptionRow'];
export type Mover = Schemas['Mover'];
export type Expiration = Schemas['Expiration'];
export type Smile = Schemas['Smile'];
export type Freshness = Schemas['Freshness'];
export type ContractQuote = Schemas['ContractQuote'];
/** The prediction service's answers. */
export type Forecast = Schemas['Forecast'];
export type AtmIv = Schemas['ATMIV'];
export type Metrics = Schemas['Metrics'];
/** One model of one saved version, scored beside the baselines on the same held-out window. */
export type ModelVersion = Schemas['ModelEntry'];
export type ModelsReport = Schemas['ModelsReport'];
/** A fine-tune job: status is running, succeeded or failed. */
export type FineTuneJob = Schemas['Job'];

type JSONOf<R> = R extends { responses: { 200: { content: { 'application/json': infer T } } } } ? T : never;
/** The JSON answer of a GET route. */
export type Answer<P extends keyof paths> = paths[P] extends { get: infer G } ? JSONOf<G> : never;

export type Quote = Answer<'/api/v1/quotes/{symbol}'>;
export type BarsPage = Answer<'/api/v1/bars/{symbol}'>;
export type Chain = Answer<'/api/v1/options/{symbol}/chain'>;
export type Movers = Answer<'/api/v1/movers'>;
export type Surface = Answer<'/api/v1/options/{symbol}/surface'>;
export type ContractHistory = Answer<'/api/v1/contracts/{contract}'>;
export type Realtime = Answer<'/api/realtime/{stockName}'>;
export type Interval = '1day' | '15min';

/** Where the API is; the app is served by the API itself, so its origin. */
export const API_BASE_URL = new InjectionToken<string>('API_BASE_URL', {
  providedIn: 'root',
  factory: () => globalThis.location?.origin ?? '',
});

/** The fetch the client calls; tests give one that answers recorded JSON. */
export const API_FETCH = new InjectionToken<typeof fetch>('API_FETCH', {
  providedIn: 'root',
  factory: () => globalThis.fetch.bind(globalThis),
});

/** An API failure with the server's own explanation (RFC 9457 detail). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: { message?: string; location?: string }[];
}

/** Turns an openapi-fetch result into its data, or throws an ApiError. */
export function unwrap<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.error !== undefined || r.data === undefined) {
    const p = (r.error ?? {}) as Problem;
    const first = p.errors?.[0];
    const why = [p.detail ?? p.title, first?.message && `${first.location ?? ''} ${first.message}`.trim()]
      .filter(Boolean)
      .join(': ');
    throw new ApiError(r.response.status, why || `${r.response.status} ${r.response.statusText}`.trim());
  }
  return r.data;
}

/** The typed API client: one method per route the app uses. */
@Injectable({ providedIn: 'root' })
export class Api {
  private readonly client = createClient<paths>({ baseUrl: inject(API_BASE_URL), fetch: inject(API_FETCH) });
  readonly baseUrl = inject(API_BASE_URL);

  async search(q: string, limit = 8): Promise<Match[]> {
    const r = unwrap(await this.client.GET('/api/v1/search', { params: { query: { q, limit } } }));
    return r.matches ?? [];
  }

  async quote(symbol: string): Promise<Quote> {
    return unwrap(await this.client.GET('/api/v1/quotes/{symbol}', { params: { path: { symbol } } }));
  }

  /**
   * Every bar of a range, oldest first, reading page after page; adjusted
   * bars are on today's basis for splits and dividends.
   */
  async bars(
    symbol: string, interval: Interval, from: string, to: string, pageSize = 5000, maxRows = 20000, adjusted = false,
  ): Promise<Bar[]> {
    const out: Bar[] = [];
    for (let page = 1; ; ) {
      const r = unwrap(
        await this.client.GET('/api/v1/bars/{symbol}', {
          params: { path: { symbol }, query: { interval, from, to, page, page_size: pageSize, ...(adjusted ? { adjusted } : {}) } },
        }),
      );
      out.push(...(r.bars ?? []));
      if (r.next_page == null || out.length >= maxRows) return out;
      page = r.next_page;
    }
  }

  /** The server-side file of a range of bars (CSV or Parquet). */
  downloadUrl(symbol: string, interval: Interval, from: string, to: string, format: 'csv' | 'parquet'): string {
    const q = new URLSearchParams({ interval, from, to, format });
    return `${this.baseUrl}/api/v1/bars/${encodeURIComponent(symbol)}/download?${q}`;
  }

  async movers(period: '1d' | '5d' | '1m', limit = 10): Promise<Movers> {
    return unwrap(await this.client.GET('/api/v1/movers', { params: { query: { period, limit } } }));
  }

  async freshness(): Promise<Freshness[]> {
    return unwrap(await this.client.GET('/api/v1/freshness', {})).datasets ?? [];
  }

  async realtime(symbol: string): Promise<Realtime> {
    return unwrap(await this.client.GET('/api/realtime/{stockName}', { params: { path: { stockName: symbol } } }));
  }

  async expirations(symbol: string): Promise<Expiration[]> {
    const r = unwrap(await this.client.GET('/api/v1/options/{symbol}/expirations', { params: { path: { symbol } } }));
    return r.expirations ?? [];
  }

  async chain(symbol: string, expiration: string): Promise<Chain> {
    return unwrap(
      await this.client.GET('/api/v1/options/{symbol}/chain', { params: { path: { symbol }, query: { expiration } } }),
    );
  }

  async surface(symbol: string): Promise<Surface> {
    return unwrap(await this.client.GET('/api/v1/options/{symbol}/surface', { params: { path: { symbol } } }));
  }

  async contract(contract: string): Promise<ContractHistory> {
    return unwrap(
      await this.client.GET('/api/v1/contracts/{contract}', { params: { path: { contract }, query: { limit: 500 } } }),
    );
  }

  /** Price quantiles and volatility for each of the next `horizon` sessions (1 to 20). */
  async forecast(symbol: string, horizon: number): Promise<Forecast> {
    return unwrap(await this.client.GET('/api/v1/predict/{symbol}', { params: { path: { symbol }, query: { horizon } } }));
  }

  /** Every model version, its walk-forward scores beside the baselines', and which one serves. */
  async models(): Promise<ModelsReport> {
    return unwrap(await this.client.GET('/api/v1/models', {}));
  }

  /** Starts training on the latest data (admin API key); answers with the job to follow. */
  async fineTune(adminKey: string): Promise<FineTuneJob> {
    return unwrap(await this.client.POST('/api/v1/models/fine-tune', { headers: { 'X-API-Key': adminKey } }));
  }

  async job(id: string): Promise<FineTuneJob> {
    return unwrap(await this.client.GET('/api/v1/models/jobs/{id}', { params: { path: { id } } }));
  }
}
