// The prediction service's answers, as its routes send them. Written by hand
// from the routes' contract until they are in openapi.json; then these names
// become aliases of the generated schemas.

/** A model's name and version, e.g. har-rv v3. */
export interface ModelRef {
  name: string;
  version: string;
}

/** One session ahead: price quantiles and the annualised volatility forecast. */
export interface ForecastPoint {
  step: number;
  /** The session's date, YYYY-MM-DD. */
  date: string;
  q05: number;
  q25: number;
  q50: number;
  q75: number;
  q95: number;
  /** Annualised volatility over the sessions up to this one, as a fraction. */
  vol: number;
}

/** The at-the-money implied volatility of one expiration, as a fraction. */
export interface AtmIv {
  expiration: string;
  /** Calendar days from the forecast's as-of time to the expiration. */
  days: number;
  iv: number;
}

/** GET /api/v1/predict/{symbol}?horizon=N */
export interface Forecast {
  symbol: string;
  /** RFC 3339: the newest data the forecast saw. */
  asOf: string;
  model: ModelRef;
  lastClose: number;
  /** The session of the last close, YYYY-MM-DD. */
  lastDate?: string;
  points: ForecastPoint[] | null;
  atmIv: AtmIv[] | null;
  /** What the forecast does not claim (e.g. direction), or that a fallback answered. */
  note?: string;
}

/** Walk-forward scores, out of sample; a model that does not forecast a quantity has no score for it. */
export interface Metrics {
  qlike?: number | null;
  mse?: number | null;
  pinball?: number | null;
  cover50?: number | null;
  cover90?: number | null;
  /** Forecasts scored. */
  n?: number | null;
  /** QLIKE over the forecasts made where an implied volatility existed, the only ones the implied-vol baseline has. */
  qlikeWithIv?: number | null;
  nWithIv?: number | null;
}

/** One saved model version and how it scored beside the baselines on the same window. */
export interface ModelVersion {
  name: string;
  version: string;
  trainedAt: string;
  trainFrom: string;
  trainTo: string;
  /** The held-out window the metrics were scored on. */
  heldOutFrom?: string;
  heldOutTo?: string;
  serving: boolean;
  /** Whether it may serve at all (a baseline is what it must beat). */
  candidate?: boolean;
  metrics: Metrics;
  /** The baselines' scores on the same held-out window, by baseline (ewma, randomWalk, impliedVol). */
  baselines: Record<string, Metrics> | null;
}

/** GET /api/v1/models */
export interface ModelsReport {
  serving: ModelRef;
  /** Why that version serves (or why a baseline serves instead). */
  reason: string;
  models: ModelVersion[] | null;
}

export type JobStatus = 'running' | 'succeeded' | 'failed';

/** POST /api/v1/models/fine-tune (202) and GET /api/v1/models/jobs/{id}. */
export interface FineTuneJob {
  job: string;
  status: JobStatus;
  /** From 0 to 1, when known. */
  progress?: number;
  message?: string;
  /** The version the job wrote, once it succeeded. */
  version?: string;
}

/** The horizons the predictor accepts, in sessions. */
export const MIN_HORIZON = 1;
export const MAX_HORIZON = 20;
