package transform

import "fmt"

// Reason codes carried by dead letters in the tl-reason header.
const (
	ReasonDecode         = "decode_error"
	ReasonSchemaVersion  = "unknown_schema_version"
	ReasonBadSymbol      = "bad_symbol"
	ReasonBadTimestamp   = "bad_timestamp"
	ReasonNotANumber     = "not_a_number"
	ReasonMissingValue   = "missing_value"
	ReasonNonPositive    = "non_positive_price"
	ReasonOHLC           = "inconsistent_ohlc"
	ReasonNegativeVolume = "negative_volume"
	ReasonOutsideSession = "outside_session"
	ReasonFuture         = "future_timestamp"
	ReasonStrike         = "non_positive_strike"
	ReasonNegativeQuote  = "negative_quote"
	ReasonCrossed        = "crossed_quote"
	ReasonExpired        = "expired_contract"
	ReasonContract       = "bad_contract_symbol"
)

// Reject is one record the processor refused, with the original payload.
type Reject struct {
	Reason  string
	Detail  string
	Symbol  string
	Payload []byte
}

func (r Reject) Error() string { return fmt.Sprintf("%s: %s", r.Reason, r.Detail) }
