package transform

import (
	"errors"
	"fmt"

	"github.com/tickerlake/tickerlake/quant"
)

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

// Unsolved is why an option quote with a price has no implied volatility: the
// reason label of tickerlake_option_iv_unsolved_total. The quote is kept with
// NULL IV and Greeks.
type Unsolved int

const (
	// UnsolvedAtIntrinsic: an American price at or below intrinsic value, where
	// no volatility is defined (a deep in-the-money quote whose mid sits on or
	// under what exercising now pays).
	UnsolvedAtIntrinsic Unsolved = iota
	// UnsolvedOutsideBounds: a price outside the other no-arbitrage bounds
	// (below the value without volatility, above the spot or strike).
	UnsolvedOutsideBounds
	// UnsolvedVolRange: a price that needs more than quant.MaxVol.
	UnsolvedVolRange
	// UnsolvedNotComputable: inputs the pricer cannot evaluate.
	UnsolvedNotComputable
	numUnsolved
)

func (u Unsolved) String() string {
	switch u {
	case UnsolvedAtIntrinsic:
		return "at_or_below_intrinsic"
	case UnsolvedOutsideBounds:
		return "outside_bounds"
	case UnsolvedVolRange:
		return "vol_above_range"
	case UnsolvedNotComputable:
		return "not_computable"
	}
	return fmt.Sprintf("Unsolved(%d)", int(u))
}

// unsolvedOf classifies an error of quant.ImpliedVolGreeks.
func unsolvedOf(err error) Unsolved {
	switch {
	case errors.Is(err, quant.ErrAtIntrinsic):
		return UnsolvedAtIntrinsic
	case errors.Is(err, quant.ErrNoSolution):
		return UnsolvedOutsideBounds
	case errors.Is(err, quant.ErrVolOutOfRange):
		return UnsolvedVolRange
	}
	return UnsolvedNotComputable
}

// Reject is one record the processor refused, with the original payload.
type Reject struct {
	Reason  string
	Detail  string
	Symbol  string
	Payload []byte
}

func (r Reject) Error() string { return fmt.Sprintf("%s: %s", r.Reason, r.Detail) }
