// Package transform is the processor: it turns raw source messages into
// clean, validated, enriched records on the processed topics, and sends every
// record it rejects to the dead-letter topic with a reason code and the
// original payload. Valid records of the same message still flow.
//
// # Bars (daily-data, historical-data, 15min-data)
//
// The rules run on one Twelve Data time_series message, in this order:
//
//  1. Type coercion. The symbol becomes canonical and upper case (brk-b is
//     BRK.B); a symbol that cannot be is bad_symbol for the whole message.
//     Datetimes are read in New York time and stored in UTC; one that does
//     not parse is bad_timestamp. A price or volume that is empty or not a
//     number is missing (to be imputed); "Infinity" is kept, to be refused.
//  2. Gap handling, inside the session calendar only. A good bar is a listed
//     one in the calendar, not in the future, whose four prices are present,
//     positive and consistent. Between the first and the last good bar, every
//     NYSE session (daily) or 15-minute bar of a session (intraday) that the
//     message does not list at all gets an inserted bar; weekends, holidays
//     and the hours after an early close are never gaps. A listed bar that
//     fails validation is not replaced: its original is a dead letter. Then
//     every missing value is filled: a price from the previous good bar
//     (forward fill), else the next one (backward fill), else the mean of the
//     symbol's accepted bars seen so far by this Cleaner; a volume with the
//     median of the message's good bars, else the symbol's mean volume. A bar
//     with any filled value has imputed = true; inserted bars copy one good
//     bar whole, so they are consistent. A message missing more than 5000
//     bars is not gap-filled (no provider window is that wide).
//  3. De-duplication by natural key (symbol and date or bar start), keeping
//     the latest revision: the first listed, as providers list newest first.
//     Replays across messages are collapsed by the lake's views.
//  4. Validation, each failure a reason code: every price > 0
//     (non_positive_price), finite (not_a_number) and present
//     (missing_value, when imputation had nothing to draw on);
//     high >= max(open, close) and low <= min(open, close)
//     (inconsistent_ohlc); volume >= 0 (negative_volume); no timestamp after
//     now plus FutureSlack (future_timestamp); daily bars on trading days and
//     15-minute bars inside the regular session, early closes included
//     (outside_session).
//  5. Standard formatting: UTC timestamps, dates at 00:00 UTC, canonical
//     symbols. Values are never rounded; rounding is for presentation.
//
// # Option chains (option-data)
//
// One Yahoo options message is one symbol's chain at one snapshot instant (the
// tl-snapshot-ts header, else the quote's time; neither is bad_timestamp).
//
//  1. Type coercion: canonical underlying; Yahoo's unix times to UTC; the OCC
//     contract symbol parsed into root, expiration, right and strike / 1000.
//  2. De-duplication by contract symbol within the snapshot, the last listing
//     winning. Options have no gap imputation: a quote is never invented.
//  3. Validation: strike > 0 (non_positive_strike); bid, ask and last >= 0
//     (negative_quote); bid <= ask (crossed_quote); expiration on or after
//     the snapshot's date and the last trade's date (expired_contract); the OCC symbol well formed and
//     agreeing with type, expiration and strike, with a root that is the
//     underlying's (BRKB for BRK.B, or the root and one digit after a
//     corporate action) (bad_contract_symbol); snapshot not in the future.
//  4. Enrichment: mid, days to expiry (to 16:00 New York on the expiration
//     date), moneyness (strike / underlying), and the own implied volatility
//     of the mid (or the last price without a two-sided quote) with its
//     Greeks: American exercise through the Andersen-Lake-Offengelt exercise
//     boundary by default (Greeks as exact derivatives of the price, see
//     quant.ImpliedVolGreeks), Black-Scholes-Merton with EuropeanIV. Rates come from the Curve at the
//     option's tenor, dividend yields from Dividends. A price at or below
//     intrinsic value (an American quote: no volatility is defined there) or
//     outside the no-arbitrage bounds has no solution: IV and Greeks stay
//     NULL, counted in tickerlake_option_iv_unsolved_total by reason.
//
// Each snapshot and expiration also gives one iv_smile row (see Smiles): the
// out-of-the-money IV at each strike, ATM IV at the forward, the 25-delta
// call and put IVs, their skew and butterfly.
//
// # Corporate actions (corporate-actions)
//
// One Yahoo v8 chart answer (events=div,splits) is one symbol's dividends
// and splits over the task's range. An answer carrying Yahoo's error object
// is unknown_symbol, one without a result or its symbol partial_response,
// and one that is not JSON decode_error, each for the whole message. Each
// event is dated by the New York session date of its unix time (its date
// field, else the key it is filed under; neither is missing_value), and
// refused when it lies in the future (future_timestamp). A dividend needs
// an amount above zero (missing_value, bad_dividend); a split a numerator
// and denominator both above zero (missing_value, bad_split_ratio). Two
// events of one kind on one date keep the first. The Cleaner keeps each
// symbol's dividends: with no Dividends given, options are priced with the
// trailing 12-month yield ln(1 + D/S) (TrailingYield).
//
// Whole-message failures are decode_error (not JSON, a provider error, an
// interval on the wrong topic) and unknown_schema_version. Counts per reason
// are tickerlake_records_dead_lettered_total; per rule,
// tickerlake_values_imputed_total (by method), tickerlake_gap_bars_inserted_total,
// tickerlake_records_deduplicated_total and tickerlake_option_iv_unsolved_total.
package transform
