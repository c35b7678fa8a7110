package wire

import (
	"encoding/json"
	"fmt"
)

// OptionChain is Yahoo's v7 options response for one symbol and one
// expiration, the shape the option-data topic carries. Any contract field
// may be missing, so they are pointers.
type OptionChain struct {
	OptionChain struct {
		Result []OptionResult `json:"result"`
		Error  *YahooError    `json:"error"`
	} `json:"optionChain"`
}

// YahooError is Yahoo's error object.
type YahooError struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// OptionResult is one underlying's chain.
type OptionResult struct {
	UnderlyingSymbol string         `json:"underlyingSymbol"`
	ExpirationDates  []int64        `json:"expirationDates"`
	Strikes          []float64      `json:"strikes"`
	Quote            YahooQuote     `json:"quote"`
	Options          []OptionSeries `json:"options"`
}

// YahooQuote is the underlying's quote.
type YahooQuote struct {
	Symbol             string   `json:"symbol"`
	RegularMarketPrice *float64 `json:"regularMarketPrice"`
	RegularMarketTime  *int64   `json:"regularMarketTime"`
	Currency           string   `json:"currency,omitempty"`
}

// OptionSeries holds the calls and puts of one expiration.
type OptionSeries struct {
	ExpirationDate int64      `json:"expirationDate"`
	Calls          []Contract `json:"calls"`
	Puts           []Contract `json:"puts"`
}

// Contract is one option quote as Yahoo sends it.
type Contract struct {
	ContractSymbol    string   `json:"contractSymbol"`
	Strike            *float64 `json:"strike"`
	Currency          string   `json:"currency,omitempty"`
	LastPrice         *float64 `json:"lastPrice"`
	Change            *float64 `json:"change"`
	PercentChange     *float64 `json:"percentChange"`
	Volume            *int64   `json:"volume"`
	OpenInterest      *int64   `json:"openInterest"`
	Bid               *float64 `json:"bid"`
	Ask               *float64 `json:"ask"`
	ContractSize      string   `json:"contractSize,omitempty"`
	Expiration        *int64   `json:"expiration"`
	LastTradeDate     *int64   `json:"lastTradeDate"`
	ImpliedVolatility *float64 `json:"impliedVolatility"`
	InTheMoney        *bool    `json:"inTheMoney"`
}

// DecodeOptionChain parses an option-data message. It gives what
// encoding/json gives (see chainScanner), without reflection; the result
// does not refer to b.
func DecodeOptionChain(b []byte) (OptionResult, error) {
	oc, ok := scanOptionChain(b)
	if !ok {
		oc = OptionChain{}
		if err := json.Unmarshal(b, &oc); err != nil {
			return OptionResult{}, fmt.Errorf("decode options: %w", err)
		}
	}
	return resultOf(oc)
}

// decodeOptionChainJSON is DecodeOptionChain by encoding/json alone: the
// reference its tests compare with.
func decodeOptionChainJSON(b []byte) (OptionResult, error) {
	var oc OptionChain
	if err := json.Unmarshal(b, &oc); err != nil {
		return OptionResult{}, fmt.Errorf("decode options: %w", err)
	}
	return resultOf(oc)
}

func resultOf(oc OptionChain) (OptionResult, error) {
	if e := oc.OptionChain.Error; e != nil {
		return OptionResult{}, fmt.Errorf("options error %s: %s", e.Code, e.Description)
	}
	if len(oc.OptionChain.Result) == 0 {
		return OptionResult{}, fmt.Errorf("options: empty result")
	}
	return oc.OptionChain.Result[0], nil
}
