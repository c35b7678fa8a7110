// Package predict forecasts what can be forecast from the lake: the
// volatility of a stock's next sessions, and price quantiles derived from it.
//
// Features come from the lake through the DuckDB query engine, point in
// time (Load reads nothing after its as-of time). The volatility models are
// two baselines (random walk on realised variance, EWMA), GARCH(1,1) fitted
// by maximum likelihood, HAR-RV (Corsi 2009) and a ridge regression on
// log realised variance over the HAR lags, technical indicators and option
// implied volatility. FineTune scores them walk-forward, out of sample, and
// commits a versioned artefact to the lake's store; a candidate serves only
// when it beats the baselines on the held-out window. Service answers the
// HTTP routes and follows the committed serving version.
package predict
