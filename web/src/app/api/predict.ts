// The prediction service's answers, named for the pages that show them; the
// shapes are the API document's (schema.d.ts, generated from openapi.json).
import type { components } from './schema';

type Schemas = components['schemas'];

/** A model's name and version, e.g. ridge-harx v2. */
export type ModelRef = Schemas['ModelRef'];
/** One session ahead: price quantiles and the annualised volatility forecast. */
export type ForecastPoint = Schemas['Point'];
/** The at-the-money implied volatility of one expiration (days from the forecast's as-of time). */
export type AtmIv = Schemas['ATMIV'];
/** GET /api/v1/predict/{symbol}?horizon=N */
export type Forecast = Schemas['Forecast'];
/** Walk-forward scores, out of sample, over n forecasts (nWithIv where an implied volatility existed). */
export type Metrics = Schemas['Metrics'];
/** One model of one saved version, scored beside the baselines on the same held-out window. */
export type ModelVersion = Schemas['ModelEntry'];
/** GET /api/v1/models */
export type ModelsReport = Schemas['ModelsReport'];
/** POST /api/v1/models/fine-tune (202) and GET /api/v1/models/jobs/{id}: status is running, succeeded or failed. */
export type FineTuneJob = Schemas['Job'];

/** The horizons the predictor accepts, in sessions. */
export const MIN_HORIZON = 1;
export const MAX_HORIZON = 20;
