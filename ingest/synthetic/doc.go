// Package synthetic is a deterministic stock and options market: daily and
// 15-minute bars and option chain snapshots for any universe, computed from a
// seed, so the whole pipeline runs with no provider keys and no network.
//
// # Determinism
//
// Every random number comes from a stream keyed by a hash of (Seed, symbol,
// purpose, item): the item is the trading-day index for the daily path, the
// date for a session's bars, and the snapshot instant and contract for a
// quote. Any day or snapshot can be produced on its own, in any order, and
// is identical every time and in every process. A different Seed gives a
// different market.
//
// # Per-symbol parameters
//
// Drawn once per (Seed, symbol):
//
//	reference price   log-uniform in [$20, $600]: the close on 2026-01-02; the
//	                  whole path is scaled to pass through it
//	drift mu          uniform [2%, 14%] a year (expected price return)
//	long-run vol      uniform [18%, 55%] a year, jumps included
//	GARCH alpha       uniform [0.05, 0.12]
//	GARCH beta        persistence alpha+beta uniform [0.94, 0.98], beta then
//	                  clamped to [0.80, 0.92], so alpha+beta < 1
//	GARCH omega       hbar * (1 - alpha - beta), hbar being the long-run daily
//	                  diffusion variance (long-run variance minus jump variance)
//	jump intensity    uniform [1, 5] a year (compound Poisson)
//	jump size         log jump ~ N(muJ, sJ^2), muJ uniform [-2%, +0.5%], sJ
//	                  uniform [2%, 6%]; jumps are scaled down if they would
//	                  exceed 40% of the long-run variance
//	dividend yield    0 for a quarter of symbols, else uniform [0.3%, 3%]
//	base volume       log-uniform [2M, 60M] shares a day
//	smile             skew uniform [-0.25, -0.08], curvature uniform [0.10, 0.35]
//	vol premium       implied over forecast volatility, uniform [2%, 10%]
//
// # Daily path
//
// Log prices are simulated forward over the calendar's trading days from
// 2010-01-04 (nothing exists before it). Day t has conditional diffusion
// variance
//
//	h(t) = omega + alpha*eps(t-1)^2 + beta*h(t-1),  h(0) = hbar
//
// and log return r(t) = mu/252 - h(t)/2 - lambda*E[e^J - 1] + eps(t) + J(t),
// with eps(t) ~ N(0, h(t)) the diffusion shock (jumps do not feed the
// variance) and J(t) the sum of a Poisson(lambda/252) number of jumps, so the
// expected daily price return is mu/252. The overnight gap
// (previous close to open) carries 20% of the diffusion variance, 20% of the
// drift and all the jumps, which therefore show as opening gaps, like
// earnings news; the session carries the rest. Each symbol's path is kept in
// memory once simulated, so any date range is cheap.
//
// # Sessions and 15-minute bars
//
// Bars exist only inside the calendar's sessions: 26 on a full day, 14 on a
// 13:00 early close. A session's log price is a Brownian bridge from the
// day's open to its close with 5 sub-steps per bar and a U-shaped variance
// profile (weight 1 + 1.2x^2, x from -1 at the open to 1 at the close). Each
// sub-step's high and low are drawn from the exact distribution of the
// maximum and minimum of a Brownian bridge, so bar highs and lows are real
// extremes rather than sampled points. Prices are rounded to cents and each
// bar keeps low <= min(open, close) <= max(open, close) <= high. The day's
// volume is base volume * sqrt(h/hbar) * lognormal noise (sd 0.3), spread
// over the bars by a U-shaped profile (1 + 2.5x^2, first bar x1.3, last bar
// x1.6 for the closing auction) with lognormal noise (sd 0.25). A daily bar
// is the exact aggregate of that day's clean bars. Spot is the close of the
// last bar that ended at or before the instant, the open before the first
// bar ends, and the last close outside sessions.
//
// # Option chains
//
// Expirations are every Friday of the next five weeks and, beyond that, the
// monthly third Fridays, within the requested number of calendar days
// (Thursday, or the trading day before, when Friday is a holiday), dropping
// any whose session has closed. Strikes sit
// on a grid whose step depends on spot ($0.5 under $25, $1 under $50, $2.5
// under $100, $5 under $300, $10 under $1000, $25 under $2500, $50 above),
// 10 on each side of the at-the-money strike for weeklies and 15 for
// monthlies. Time runs from the snapshot to the expiration day's close over
// a 365-day year. Volatility:
//
//	atm(T)      = sqrt(252*mean GARCH forecast of h to expiry + jump variance) * (1 + premium)
//	sigma(K, T) = atm(T) * clamp(1 + skew*k + curvature*k^2, 0.6, 4),  k = ln(K/F)/sqrt(T)
//
// with F the forward at the Rate and the symbol's dividend yield. Prices are
// American, as U.S. equity options are: quant.AmericanPrice (package
// quant), so deep in-the-money puts carry their early-exercise value. Quotes: the spread is 0.02 + 0.01|z|
// + price*(1.5% + 1.5%|z|), z being ln(K/F) in ATM standard deviations
// (capped at 4); bid and ask sit on a 0.01 tick (0.05 from $3) around the
// model price, bid >= 0, and the mid stays within the no-arbitrage bounds.
// The last price is the model price with 2% noise, clamped to [bid, ask];
// change and percent change compare it with the model price at the previous
// session's close. Open interest is base volume/4000 * exp(-z^2/2) (x3 for
// monthlies) with lognormal noise; volume is 5-40% of it, more near expiry.
// SourceIV is sigma with 3% relative noise. The last trade is up to 15
// minutes (longer far from the money) before the snapshot, or before the
// close when the market is shut, and never before the session's open. Analytics fields (Mid, IV, Greeks, Moneyness,
// DaysToExpiry, IngestedAt) are left zero for the processor.
//
// # Corporate actions
//
// Actions come from streams of their own, so no price drawn before them
// moved. Dividends: a symbol with a dividend yield q pays every third month
// (the cycle and a day of the month, 3-22, drawn once; the ex-date is the
// first trading day on or after it) the previous session's close times
// 1 - exp(-q/4), in cents; four such payments make q a year as a continuous
// yield, so the trailing 12-month yield ln(1 + D/S) the processor computes
// is q give or take the price's moves over the year. The path is not marked
// down on ex-dates: its drift is the expected price return, the dividend
// comes on top, and options are priced with the same continuous q. Splits:
// a symbol whose reference price is above $300 splits once, 2, 3 or 4 for
// 1, on a trading day drawn uniformly in 2013-2024. The simulated path is
// the split-adjusted price: raw prices before the split (daily and
// 15-minute bars, spot, option chains) are the ratio times it and volumes
// are divided by it, so the raw series drops by the ratio on the split's
// day while split-adjusted returns keep every statistic above. Prices
// after the last split, the reference price among them, are unchanged.
//
// # Defects
//
// With Config.DefectRate > 0, each row independently gets one defect with
// that probability, drawn from the row's key (so the same rows are
// defective on every run):
//
//	bars (daily and 15-minute): a third dropped (a gap), a third emitted
//	twice (same key, same values), a third bad rows, split evenly among a
//	negative open, high < low, and a NaN close
//	option quotes: a third crossed (bid > ask), a third bad rows, split
//	evenly between a negative strike and a NaN bid, a third duplicated
//
// Daily bars aggregate clean 15-minute bars and get their own defects. With
// DefectRate 0 every row is present, unique and valid.
package synthetic
