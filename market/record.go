package market

import "time"

// The record types below are the single source of every dataset's layout:
// the `col` tag names the column and its options, and Schema derives the
// Arrow schema, the Parquet and CSV layouts and the SQL views from them.
// Tag options: "key" (part of the natural key), "null" (NaN or zero time is
// stored as NULL), "date" (a time.Time holding a calendar date at 00:00 UTC).

// DailyBar is one session's OHLCV bar for one stock.
type DailyBar struct {
	Symbol     string    `col:"symbol,key"`
	Date       time.Time `col:"date,key,date"` // session date, 00:00 UTC
	Open       float64   `col:"open"`
	High       float64   `col:"high"`
	Low        float64   `col:"low"`
	Close      float64   `col:"close"`
	Volume     int64     `col:"volume"`
	Imputed    bool      `col:"imputed"`     // some value was filled in by the processor
	IngestedAt time.Time `col:"ingested_at"` // when the processor accepted the row
}

// IntradayBar is one 15-minute OHLCV bar; TS is the bar's start in UTC.
type IntradayBar struct {
	Symbol     string    `col:"symbol,key"`
	TS         time.Time `col:"ts,key"`
	Open       float64   `col:"open"`
	High       float64   `col:"high"`
	Low        float64   `col:"low"`
	Close      float64   `col:"close"`
	Volume     int64     `col:"volume"`
	Imputed    bool      `col:"imputed"`
	IngestedAt time.Time `col:"ingested_at"`
}

// OptionType is "call" or "put".
type OptionType string

const (
	Call OptionType = "call"
	Put  OptionType = "put"
)

// OptionQuote is one contract's quote in one snapshot of an option chain.
// Snapshots are never overwritten: SnapshotTS is part of the key, so the lake
// keeps the point-in-time history of every chain.
type OptionQuote struct {
	SnapshotTS      time.Time  `col:"snapshot_ts,key"`
	Symbol          string     `col:"symbol"` // the underlying, canonical
	ContractSymbol  string     `col:"contract_symbol,key"`
	Type            OptionType `col:"option_type"`
	Expiration      time.Time  `col:"expiration,date"`
	Strike          float64    `col:"strike"`
	LastPrice       float64    `col:"last_price,null"`
	Bid             float64    `col:"bid,null"`
	Ask             float64    `col:"ask,null"`
	Change          float64    `col:"change,null"`
	PercentChange   float64    `col:"percent_change,null"`
	Volume          int64      `col:"volume"`
	OpenInterest    int64      `col:"open_interest"`
	SourceIV        float64    `col:"source_iv,null"` // the provider's implied volatility
	InTheMoney      bool       `col:"in_the_money"`
	ContractSize    string     `col:"contract_size"`
	Currency        string     `col:"currency"`
	LastTradeTS     time.Time  `col:"last_trade_ts,null"`
	UnderlyingPrice float64    `col:"underlying_price,null"`
	Mid             float64    `col:"mid,null"`
	IV              float64    `col:"iv,null"` // own implied volatility; NULL when no solution
	Delta           float64    `col:"delta,null"`
	Gamma           float64    `col:"gamma,null"`
	Theta           float64    `col:"theta,null"`     // per calendar day
	Vega            float64    `col:"vega,null"`      // per volatility point
	Rho             float64    `col:"rho,null"`       // per rate point
	Moneyness       float64    `col:"moneyness,null"` // strike / underlying
	DaysToExpiry    float64    `col:"days_to_expiry,null"`
	IngestedAt      time.Time  `col:"ingested_at"`
}

// IVSmile is one expiration's implied volatility smile in one snapshot of a
// chain, built by the processor from its own implied volatilities.
type IVSmile struct {
	SnapshotTS      time.Time `col:"snapshot_ts,key"`
	Symbol          string    `col:"symbol,key"`
	Expiration      time.Time `col:"expiration,key,date"`
	DaysToExpiry    float64   `col:"days_to_expiry"`
	UnderlyingPrice float64   `col:"underlying_price"`
	Forward         float64   `col:"forward"`            // S e^{(r-q)T}, where the smile is centred
	ATMIV           float64   `col:"atm_iv,null"`        // interpolated at the forward
	Call25IV        float64   `col:"call_25d_iv,null"`   // at call delta 0.25
	Put25IV         float64   `col:"put_25d_iv,null"`    // at put delta -0.25
	Skew25          float64   `col:"skew_25d,null"`      // put_25d_iv - call_25d_iv
	Butterfly25     float64   `col:"butterfly_25d,null"` // (put_25d_iv + call_25d_iv) / 2 - atm_iv
	Points          int64     `col:"points"`             // strikes with an implied volatility
	Smile           string    `col:"smile"`              // JSON array of SmilePoint, by strike
	IngestedAt      time.Time `col:"ingested_at"`
}

// SmilePoint is one strike of an IVSmile: the out-of-the-money contract's
// implied volatility (puts below the forward, calls above).
type SmilePoint struct {
	Strike       float64    `json:"strike"`
	Moneyness    float64    `json:"moneyness"`     // strike / underlying
	LogMoneyness float64    `json:"log_moneyness"` // ln(strike / forward)
	IV           float64    `json:"iv"`
	Delta        float64    `json:"delta"`
	Type         OptionType `json:"option_type"`
}

// Corporate action kinds.
const (
	ActionDividend = "dividend" // a cash dividend: Amount per share, the day the stock goes ex
	ActionSplit    = "split"    // Numerator new shares for every Denominator old ones, from ExDate
)

// CorporateAction is one cash dividend or split of one stock, on the day it
// takes effect: the first session the stock trades without the dividend, or
// on the split basis. Adjusted history (lake/query) is built from these.
type CorporateAction struct {
	Symbol      string    `col:"symbol,key"`
	ExDate      time.Time `col:"ex_date,key,date"`
	Action      string    `col:"action,key"`       // ActionDividend or ActionSplit
	Amount      float64   `col:"amount,null"`      // cash per share, in the currency of the bars; NULL for a split
	Numerator   float64   `col:"numerator,null"`   // new shares (4 in a 4-for-1 split); NULL for a dividend
	Denominator float64   `col:"denominator,null"` // old shares (1 in a 4-for-1 split); NULL for a dividend
	IngestedAt  time.Time `col:"ingested_at"`
}

// CorporateActions is partitioned by the year of the ex-date: a few rows a
// symbol a year.
var CorporateActions = mustDataset("corporate_actions", CorporateAction{}, "ex_date", ByYear)
