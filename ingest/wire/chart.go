package wire

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// SchemaChartEvents names Yahoo's v8 chart response with its dividend and
// split events, the shape the corporate-actions topic carries.
const SchemaChartEvents = "yahoo.chart_events"

// Chart is Yahoo's v8 chart response, as asked for with
// interval=1d&events=div,splits: the events are all tickerlake reads.
type Chart struct {
	Chart struct {
		Result []ChartResult `json:"result"`
		Error  *YahooError   `json:"error"`
	} `json:"chart"`
}

// ChartResult is one symbol's chart.
type ChartResult struct {
	Meta   ChartMeta    `json:"meta"`
	Events *ChartEvents `json:"events,omitempty"`
}

// ChartMeta names the chart's symbol.
type ChartMeta struct {
	Symbol   string `json:"symbol"`
	Currency string `json:"currency,omitempty"`
}

// ChartEvents holds the dividends and splits in the chart's range, each
// keyed by its date in unix seconds as a string. A range without events
// has no events object, or leaves a kind out.
type ChartEvents struct {
	Dividends map[string]ChartDividend `json:"dividends,omitempty"`
	Splits    map[string]ChartSplit    `json:"splits,omitempty"`
}

// ChartDividend is one cash dividend: the amount per share and the ex-date
// (unix seconds, the session's open). Fields may be missing.
type ChartDividend struct {
	Amount *float64 `json:"amount"`
	Date   *int64   `json:"date"`
}

// ChartSplit is one split: Numerator new shares for Denominator old ones
// from Date; SplitRatio spells it "4:1".
type ChartSplit struct {
	Date        *int64   `json:"date"`
	Numerator   *float64 `json:"numerator"`
	Denominator *float64 `json:"denominator"`
	SplitRatio  string   `json:"splitRatio,omitempty"`
}

// ChartError is a well-formed chart answer that carries Yahoo's error
// object instead of a result: an unknown or delisted symbol.
type ChartError struct{ YahooError }

func (e *ChartError) Error() string {
	return fmt.Sprintf("chart error %s: %s", e.Code, e.Description)
}

// DecodeChart parses a corporate-actions message: the first result, which
// must name its symbol. Yahoo's error object is a *ChartError.
func DecodeChart(b []byte) (ChartResult, error) {
	var c Chart
	if err := json.Unmarshal(b, &c); err != nil {
		return ChartResult{}, fmt.Errorf("decode chart: %w", err)
	}
	if e := c.Chart.Error; e != nil {
		return ChartResult{}, &ChartError{*e}
	}
	if len(c.Chart.Result) == 0 {
		return ChartResult{}, fmt.Errorf("chart: empty result")
	}
	r := c.Chart.Result[0]
	if r.Meta.Symbol == "" {
		return ChartResult{}, fmt.Errorf("chart: result names no symbol")
	}
	return r, nil
}

// EventDate is an event's date in unix seconds: its date field, else the
// key it is filed under.
func EventDate(key string, date *int64) (int64, error) {
	if date != nil {
		return *date, nil
	}
	d, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("event %q has no date", key)
	}
	return d, nil
}
