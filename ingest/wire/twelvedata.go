package wire

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tickerlake/tickerlake/market"
)

// TimeSeries is Twelve Data's time_series response for one symbol, the shape
// the bar topics carry. Numbers arrive as strings; values are newest first.
type TimeSeries struct {
	Meta    TimeSeriesMeta `json:"meta"`
	Values  []TSValue      `json:"values"`
	Status  string         `json:"status"`
	Code    int            `json:"code,omitempty"`
	Message string         `json:"message,omitempty"`
}

// TimeSeriesMeta describes the series.
type TimeSeriesMeta struct {
	Symbol           string `json:"symbol"`
	Interval         string `json:"interval"` // "1day" or "15min"
	Currency         string `json:"currency,omitempty"`
	ExchangeTimezone string `json:"exchange_timezone,omitempty"`
	Exchange         string `json:"exchange,omitempty"`
	Type             string `json:"type,omitempty"`
}

// TSValue is one bar as Twelve Data sends it.
type TSValue struct {
	Datetime string `json:"datetime"` // "2006-01-02" or "2006-01-02 15:04:05" in the exchange's zone
	Open     string `json:"open"`
	High     string `json:"high"`
	Low      string `json:"low"`
	Close    string `json:"close"`
	Volume   string `json:"volume"`
}

// Schema names of the raw shapes.
const (
	SchemaTimeSeries  = "twelvedata.time_series"
	SchemaOptionChain = "yahoo.options"
)

// Intervals of the bar datasets.
const (
	Interval1Day  = "1day"
	Interval15Min = "15min"
)

// DecodeTimeSeries parses a time_series message; a provider error ("status":
// "error") is an error naming its code and message.
func DecodeTimeSeries(b []byte) (TimeSeries, error) {
	var ts TimeSeries
	if err := json.Unmarshal(b, &ts); err != nil {
		return ts, fmt.Errorf("decode time_series: %w", err)
	}
	if ts.Status == "error" {
		return ts, fmt.Errorf("time_series error %d: %s", ts.Code, ts.Message)
	}
	if ts.Meta.Symbol == "" {
		return ts, fmt.Errorf("time_series: no meta.symbol")
	}
	return ts, nil
}

// BarFields is one value's parsed fields. Unparseable numbers become NaN (or
// -1 for volume) so validation can name them rather than decoding failing.
type BarFields struct {
	Time                   time.Time
	Open, High, Low, Close float64
	Volume                 int64
}

// Parse parses a value of a series with the given interval.
func (v TSValue) Parse(interval string) (BarFields, error) {
	var f BarFields
	var err error
	if interval == Interval1Day {
		f.Time, err = parseDateTime(v.Datetime, false, time.UTC)
	} else {
		f.Time, err = parseDateTime(v.Datetime, true, market.NewYork)
		f.Time = f.Time.UTC()
	}
	if err != nil {
		return f, fmt.Errorf("datetime %q: %w", v.Datetime, err)
	}
	f.Open, f.High, f.Low, f.Close = num(v.Open), num(v.High), num(v.Low), num(v.Close)
	f.Volume = parseVolume(v.Volume)
	return f, nil
}

func num(s string) float64 {
	x, err := parseFloat(s)
	if err != nil {
		return math.NaN()
	}
	return x
}

// FormatPrice renders a price the way Twelve Data does.
func FormatPrice(x float64) string { return strconv.FormatFloat(x, 'f', 5, 64) }
