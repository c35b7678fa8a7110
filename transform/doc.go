// Package transform is the processor: it turns raw source messages into
// clean, validated, enriched records on the processed topics, and sends every
// record it rejects to the dead-letter topic with a reason code.
//
// Rules run in this order: type coercion (strings to numbers, provider time
// zones to UTC, provider symbols to canonical ones); validation (below);
// de-duplication by natural key within a message, keeping the latest; option
// analytics (mid, own implied volatility, Greeks, moneyness, days to expiry).
// Bars: every price > 0, high >= max(open, close), low <= min(open, close),
// volume >= 0, no timestamp in the future, 15-minute bars inside the NYSE
// session. Options: strike > 0, 0 <= bid <= ask, expiration on or after the
// snapshot date, the OCC contract symbol well-formed and consistent with the
// contract's type, expiration and strike.
package transform
