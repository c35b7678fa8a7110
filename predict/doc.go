// Package predict forecasts what can be forecast from the lake: the
// volatility of a stock's next sessions, and price quantiles derived from it.
//
// Features come from the lake through the DuckDB query engine, point in
// time (Load reads nothing after its as-of time). The volatility models are
// two baselines (random walk on realised variance, EWMA), GARCH(1,1) fitted
// by maximum likelihood, GARCH-J (GARCH on the diffusion shock with
// overnight jumps kept out of the variance dynamics and the session's
// realised variance as a measurement of it), HAR-RV (Corsi 2009) and a
// ridge regression on log realised variance over the HAR lags, technical
// indicators and option implied volatility. FineTune scores them walk-forward, out of sample, and
// commits a versioned artefact to the lake's store; a candidate serves only
// when it beats the baselines on the held-out window. Service answers the
// HTTP routes and follows the committed serving version; fine-tune job
// states are kept in the store too, so any replica answers for any job.
package predict
